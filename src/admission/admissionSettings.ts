/**
 * The built-in checks' policy: global (`backpack.admission`) and per
 * artifact (the artifact's `admission` field), validated with one schema
 * family so both refuse the same mistakes, and merged into what applies to
 * one artifact.
 */
import { Config, ConfigReader, readDurationFromConfig } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { durationToMilliseconds, JsonObject } from '@backstage/types';
import { z } from 'zod';
import { canonicalJson } from '../lib/canonicalJson';
import { errorMessage } from '../lib/errorMessage';
import { parseInput, text } from '../lib/validation';
import { ArtifactAdmissionSettings } from './types';

const outcome = z.enum(['allow', 'deny', 'pending-approval']);

/** An outcome a setting asks for (`unknown` license, `yanked`, …). */
export type AdmissionOutcome = z.infer<typeof outcome>;

const spdxId = text(128);
const range = text(1024);

/** A duration as Backstage config writes it: `3d`, `12 hours`, `P3D`. */
const duration = z.string().superRefine((value, ctx) => {
  try {
    durationMs(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not a duration: ${errorMessage(error)}` });
  }
});

/** Settings an artifact may override. */
const sharedSettings = {
  licenses: z
    .strictObject({
      allow: z.array(spdxId).max(500).optional(),
      deny: z.array(spdxId).max(500).optional(),
      unknown: outcome.optional(),
    })
    .optional(),
  minimumReleaseAge: duration.optional(),
  maximumFileSize: z.number().int().positive().optional(),
  yanked: outcome.optional(),
  deprecated: outcome.optional(),
};

/** An artifact's `admission` field: overrides, and version ranges to allow or deny. */
export const artifactAdmissionSchema = z.strictObject({
  ...sharedSettings,
  allow: z.array(range).max(100).optional(),
  deny: z.array(range).max(100).optional(),
});


const listEntry = z.strictObject({
  processor: text(64),
  id: text(512),
  versions: range.optional(),
  reason: text(1024).optional(),
});

/** A global allow or deny list entry. */
export type AdmissionListEntry = z.infer<typeof listEntry>;

const globalSchema = z.object({
  ...sharedSettings,
  allow: z.array(listEntry).optional(),
  deny: z.array(listEntry).optional(),
  unlisted: outcome.optional(),
});

/** `backpack.admission` as the built-in checks read it. */
export type GlobalAdmissionSettings = z.infer<typeof globalSchema>;

/** What applies to one artifact: the global settings with its overrides. */
export interface EffectiveAdmissionSettings {
  /** Ranges (undefined: every version) on the allow list, and the deny list with reasons. */
  allow: Array<{ versions?: string; source: string }>;
  deny: Array<{ versions?: string; reason?: string; source: string }>;
  /** What a version no allow entry names gets; `allow` unless the allow list is exclusive. */
  unlisted: AdmissionOutcome;
  licenses?: { allow?: string[]; deny?: string[]; unknown: AdmissionOutcome };
  minimumReleaseAgeMs?: number;
  maximumFileSize?: number;
  yanked: AdmissionOutcome;
  deprecated: AdmissionOutcome;
}

/** Milliseconds of a duration in any form Backstage config accepts. */
export function durationMs(value: string): number {
  if (/^\s*0+\s*$/.test(value)) return 0;
  return durationToMilliseconds(
    readDurationFromConfig(new ConfigReader({ value }), { key: 'value' }),
  );
}

/** Reads `backpack.admission` (without `external`, which the plugin host reads). */
export function readGlobalAdmissionSettings(config: Config): GlobalAdmissionSettings {
  const raw = config.getOptional<JsonObject>('backpack.admission') ?? {};
  const { external: _external, cacheSize: _cacheSize, ...settings } = raw;
  try {
    return parseInput(globalSchema.strict(), settings, {
      path: ['backpack', 'admission'],
      label: 'backpack.admission',
    });
  } catch (error) {
    // A config mistake stops startup, named as a config key.
    throw new Error(`Invalid config ${errorMessage(error)}`);
  }
}

/** An artifact's `admission` input, checked; an InputError names the field. */
export function artifactAdmissionInput(value: unknown): ArtifactAdmissionSettings {
  return parseInput(artifactAdmissionSchema, value, { path: ['admission'], label: 'admission' });
}

/**
 * The settings for one artifact: its own values where it sets them, the
 * global ones otherwise; list entries of both apply.
 */
export function effectiveSettings(
  global: GlobalAdmissionSettings,
  artifact: { processor: string; id: string; admission?: ArtifactAdmissionSettings },
  sameId: (a: string, b: string) => boolean,
): EffectiveAdmissionSettings {
  const own = artifact.admission ?? {};
  const named = (entry: AdmissionListEntry) =>
    entry.processor === artifact.processor && sameId(entry.id, artifact.id);
  const age = own.minimumReleaseAge ?? global.minimumReleaseAge;
  const licenses = own.licenses ?? global.licenses;
  return {
    allow: [
      ...(global.allow ?? []).filter(named).map(e => ({ versions: e.versions, source: 'backpack.admission.allow' })),
      ...(own.allow ?? []).map(versions => ({ versions, source: 'artifact admission.allow' })),
    ],
    deny: [
      ...(global.deny ?? [])
        .filter(named)
        .map(e => ({ versions: e.versions, reason: e.reason, source: 'backpack.admission.deny' })),
      ...(own.deny ?? []).map(versions => ({ versions, source: 'artifact admission.deny' })),
    ],
    unlisted: global.unlisted ?? 'allow',
    ...(licenses
      ? { licenses: { allow: licenses.allow, deny: licenses.deny, unknown: licenses.unknown ?? 'allow' } }
      : {}),
    ...(age ? { minimumReleaseAgeMs: durationMs(age) } : {}),
    ...(own.maximumFileSize ?? global.maximumFileSize
      ? { maximumFileSize: own.maximumFileSize ?? global.maximumFileSize }
      : {}),
    yanked: own.yanked ?? global.yanked ?? 'allow',
    deprecated: own.deprecated ?? global.deprecated ?? 'allow',
  };
}

/** A stable digest of settings, part of the policy revision. */
export function settingsKey(settings: unknown): string {
  return canonicalJson(settings);
}

/** Checks that every range of a settings object is one of the processor's; InputError otherwise. */
export function checkRanges(
  ranges: Array<{ where: string; range?: string }>,
  isValidRange: (range: string) => boolean,
): void {
  for (const { where, range: value } of ranges) {
    if (value !== undefined && value !== '*' && !isValidRange(value)) {
      throw new InputError(`${where}: '${value}' is not a valid version range`);
    }
  }
}
