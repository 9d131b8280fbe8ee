/**
 * The checks on facts of the version itself: its age (the cooldown against
 * freshly published malicious releases), its files' sizes, and whether the
 * upstream yanked or deprecated it.
 */
import { EffectiveAdmissionSettings } from '../admissionSettings';
import { AdmissionAnswer, AdmissionMetadata } from '../types';

const HOUR = 3_600_000;

function humanAge(ms: number): string {
  return ms >= 48 * HOUR ? `${Math.floor(ms / (24 * HOUR))} days` : `${Math.max(0, Math.floor(ms / HOUR))} hours`;
}

/**
 * The cooldown: a version younger than the minimum age is denied (and,
 * once old enough, admitted by a later run). A version without a
 * publication time cannot show its age and is denied too.
 */
export function checkReleaseAge(
  metadata: AdmissionMetadata,
  settings: EffectiveAdmissionSettings,
  now: number,
): AdmissionAnswer {
  const minimum = settings.minimumReleaseAgeMs;
  if (!minimum) return { decision: 'allow' };
  const published = metadata.publishedAt ? Date.parse(metadata.publishedAt) : NaN;
  if (Number.isNaN(published)) {
    return { decision: 'deny', reason: 'no publication time, so its release age is unknown' };
  }
  const age = now - published;
  return age >= minimum
    ? { decision: 'allow' }
    : {
        decision: 'deny',
        reason: `published ${humanAge(age)} ago (${metadata.publishedAt}), younger than the minimum release age of ${humanAge(minimum)}`,
      };
}

/** Denies a version with a file larger than the maximum (files of unknown size pass; the collector caps bytes). */
export function checkFileSize(metadata: AdmissionMetadata, settings: EffectiveAdmissionSettings): AdmissionAnswer {
  const maximum = settings.maximumFileSize;
  if (!maximum) return { decision: 'allow' };
  const large = metadata.files.filter(f => f.size !== undefined && f.size > maximum);
  if (large.length === 0) return { decision: 'allow' };
  const named = large
    .slice(0, 3)
    .map(f => `${f.name} (${f.size} bytes)`)
    .join(', ');
  return { decision: 'deny', reason: `file ${named} larger than the maximum of ${maximum} bytes` };
}

/** The configured outcome for a yanked and for a deprecated version. */
export function checkLifecycle(metadata: AdmissionMetadata, settings: EffectiveAdmissionSettings): AdmissionAnswer[] {
  const answers: AdmissionAnswer[] = [];
  if (metadata.yanked !== undefined && settings.yanked !== 'allow') {
    const why = metadata.yanked === true ? '' : `: ${metadata.yanked}`;
    answers.push({ decision: settings.yanked, reason: `yanked${why}` });
  }
  if (metadata.deprecated !== undefined && settings.deprecated !== 'allow') {
    answers.push({ decision: settings.deprecated, reason: `deprecated: ${metadata.deprecated}` });
  }
  return answers;
}
