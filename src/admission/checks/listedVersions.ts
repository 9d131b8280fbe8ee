/**
 * The allow and deny lists: entries naming an artifact (and a version
 * range, or every version). A deny entry always denies; an allow entry
 * admits the version without the other built-in checks (an exception), and
 * where `unlisted` is not `allow` the allow list is exclusive.
 */
import { VersionScheme } from '../../processors/types';
import { EffectiveAdmissionSettings } from '../admissionSettings';
import { AdmissionAnswer } from '../types';

function inRange(scheme: VersionScheme, version: string, range: string | undefined): boolean {
  if (range === undefined || range === '*' || range === '') return true;
  try {
    return scheme.satisfies(version, range);
  } catch {
    return false;
  }
}

/** The deny list's answer: the first entry naming the version denies it. */
export function checkDenyList(
  version: string,
  settings: EffectiveAdmissionSettings,
  scheme: VersionScheme,
): AdmissionAnswer {
  const entry = settings.deny.find(e => inRange(scheme, version, e.versions));
  if (!entry) return { decision: 'allow' };
  const what = entry.versions && entry.versions !== '*' ? `versions ${entry.versions}` : 'every version';
  return { decision: 'deny', reason: entry.reason ?? `on the deny list (${entry.source}: ${what})` };
}

/** Whether an allow entry names the version. */
export function allowListed(version: string, settings: EffectiveAdmissionSettings, scheme: VersionScheme): boolean {
  return settings.allow.some(e => inRange(scheme, version, e.versions));
}

/** What a version no allow entry names gets. */
export function checkUnlisted(settings: EffectiveAdmissionSettings): AdmissionAnswer {
  return settings.unlisted === 'allow'
    ? { decision: 'allow' }
    : { decision: settings.unlisted, reason: 'not on the allow list' };
}
