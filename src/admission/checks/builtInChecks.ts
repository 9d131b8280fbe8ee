/**
 * The built-in checks in their order: the deny list first (nothing
 * overrides it), then, unless an allow entry names the version, the
 * exclusive allow list, licenses, release age, file size and lifecycle.
 */
import { VersionScheme } from '../../processors/types';
import { EffectiveAdmissionSettings } from '../admissionSettings';
import { AdmissionAnswer, AdmissionReason, AdmissionRequest } from '../types';
import { checkLicense } from './licenses';
import { allowListed, checkDenyList, checkUnlisted } from './listedVersions';
import { checkFileSize, checkLifecycle, checkReleaseAge } from './versionFacts';

/** The built-in checks' answers that are not `allow`, and until when they hold. */
export interface BuiltInOutcome {
  reasons: AdmissionReason[];
  /** When a time-bound answer (the cooldown) stops holding; ms since the epoch. */
  validUntil?: number;
}

function named(check: string, answer: AdmissionAnswer): AdmissionReason[] {
  return answer.decision === 'allow' ? [] : [{ check, decision: answer.decision, reason: answer.reason }];
}

/** Runs the built-in checks for one version under the artifact's settings. */
export function runBuiltInChecks(
  request: AdmissionRequest,
  settings: EffectiveAdmissionSettings,
  scheme: VersionScheme,
  now: number,
): BuiltInOutcome {
  const denied = named('deny-list', checkDenyList(request.version, settings, scheme));
  if (denied.length > 0) return { reasons: denied };
  if (allowListed(request.version, settings, scheme)) return { reasons: [] };
  const { metadata } = request;
  const age = named('release-age', checkReleaseAge(metadata, settings, now));
  const published = metadata.publishedAt ? Date.parse(metadata.publishedAt) : NaN;
  return {
    reasons: [
      ...named('allow-list', checkUnlisted(settings)),
      ...named('license', checkLicense(metadata.license, settings.licenses)),
      ...age,
      ...named('file-size', checkFileSize(metadata, settings)),
      ...checkLifecycle(metadata, settings).flatMap(answer =>
        named(answer.reason?.startsWith('yanked') ? 'yanked' : 'deprecated', answer),
      ),
    ],
    ...(age.length > 0 && !Number.isNaN(published)
      ? { validUntil: published + settings.minimumReleaseAgeMs! }
      : {}),
  };
}
