/**
 * The documents of Terraform's provider network mirror protocol, shared by
 * the view and bundles: `index.json` lists a provider's versions, and
 * `<version>.json` its archives by platform, each with a URL relative to
 * the document and its hashes (`zh:` the zip's sha256, `h1:` the dirhash
 * of its contents), which Terraform checks packages and lock files against.
 */
import { RangeReader } from '../../lib/zipEntry';
import { zipDirHash, ZipDirHashLimits } from '../../lib/zipDirHash';
import { FileIntegrity } from '../../types';
import { terraformVersionScheme } from '../../processors/terraform/terraformVersion';

/**
 * Bounds on hashing a stored package's contents: the largest providers
 * unpack to under 1 GiB in a handful of files; more is not a provider.
 */
export const PROVIDER_HASH_LIMITS: ZipDirHashLimits = {
  maxEntries: 10_000,
  maxUnpackedBytes: 4 * 1024 * 1024 * 1024,
};

/** One archive of a version document. */
export interface MirrorArchive {
  /** `<os>_<arch>`. */
  platform: string;
  /** The zip's URL, relative to the version document (its file name). */
  url: string;
  hashes: string[];
}

/** `index.json`: `{"versions":{"1.2.0":{}}}`, in ascending order. */
export function terraformVersionIndex(versions: string[]): string {
  const sorted = [...new Set(versions)].sort(terraformVersionScheme.compare);
  return JSON.stringify({ versions: Object.fromEntries(sorted.map(v => [v, {}])) });
}

/** `<version>.json`: `{"archives":{"linux_amd64":{"url":"…zip","hashes":[…]}}}`. */
export function terraformVersionDocument(archives: MirrorArchive[]): string {
  const sorted = [...archives].sort((a, b) => a.platform.localeCompare(b.platform, 'en'));
  return JSON.stringify({
    archives: Object.fromEntries(sorted.map(a => [a.platform, { url: a.url, hashes: a.hashes }])),
  });
}

/**
 * The hashes of a stored package: `zh:` from the sha256 of the stored
 * bytes (or the verified upstream digest), and `h1:` computed from the
 * zip's contents, left out when its size is unknown or it cannot be hashed within
 * {@link PROVIDER_HASH_LIMITS}.
 */
export async function providerArchiveHashes(
  file: { sha256?: string; integrity?: FileIntegrity },
  read: RangeReader,
  size: number | undefined,
): Promise<string[]> {
  const sha256 = file.sha256 ?? (file.integrity?.algorithm === 'sha256' ? file.integrity.digest : undefined);
  const h1 = size === undefined ? undefined : await zipDirHash(read, size, PROVIDER_HASH_LIMITS);
  return [...(sha256 ? [`zh:${sha256.toLowerCase()}`] : []), ...(h1 ? [h1] : [])];
}
