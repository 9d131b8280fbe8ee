import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { fileRefusal } from '../storage/fileRefusal';

/**
 * What the collector does with a file whose upstream declares no digest:
 * `reject` parks it without downloading it; `allow` collects it and marks
 * it unverified (`verified: false`) in the API, the views and bundles.
 *
 * @public
 */
export type UnverifiedFilesPolicy = 'reject' | 'allow';

/** The error a rejected unverified file is parked with. */
export const UNVERIFIED_FILE_ERROR =
  'upstream declares no digest; set backpack.collection.unverifiedFiles: allow to accept unverified files';

/** Reads `backpack.collection.unverifiedFiles`; `reject` by default. */
export function readUnverifiedFilesPolicy(config: Config): UnverifiedFilesPolicy {
  const key = 'backpack.collection.unverifiedFiles';
  const value = config.getOptionalString(key) ?? 'reject';
  if (value !== 'reject' && value !== 'allow') {
    throw new InputError(`${key}: must be 'reject' or 'allow', not '${value}'`);
  }
  return value;
}

/**
 * Why the collector must not download a file, or undefined when it may:
 * an unsafe name, version or layout path (see `fileRefusal`), or no
 * declared digest under the `reject` policy. Checked before any request,
 * so a refused file costs the upstream nothing.
 */
export function admissionRefusal(
  file: { name: string; version: string; folder?: string; verified: boolean },
  policy: UnverifiedFilesPolicy,
): string | undefined {
  const refusal = fileRefusal({ name: file.name, version: file.version, path: file.folder });
  if (refusal) return refusal;
  if (!file.verified && policy !== 'allow') return UNVERIFIED_FILE_ERROR;
  return undefined;
}
