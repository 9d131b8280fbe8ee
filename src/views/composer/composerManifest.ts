/**
 * What a Composer repository says of a mirrored version: the upstream
 * repository's record of it as stored at discovery (autoload, require,
 * bin, ... as published) or, for a version stored without one, the
 * composer.json inside its stored dist; with the version and a dist
 * pointing at the mirror. Shared by the view and the static repository in
 * bundles.
 */
import { createHash } from 'node:crypto';
import { RangeReader, readZipEntry } from '../../lib/zipEntry';
import { normalizeComposerVersion } from '../../processors/composer/composerVersion';

/** A composer.json is a few KB; more is not a manifest worth serving. */
const MAX_MANIFEST_BYTES = 1024 * 1024;
const HASH_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Keys of a composer.json that only a root project uses, or that the
 * repository itself states: not passed on.
 */
const NOT_PASSED_ON = new Set([
  'name',
  'version',
  'version_normalized',
  'time',
  'dist',
  'source',
  'repositories',
  'config',
  'minimum-stability',
  'prefer-stable',
  'notification-url',
  'installation-source',
]);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The composer.json of a dist zip, read by ranged reads: at the root, or
 * under the one top-level directory GitHub and GitLab archives have.
 * Undefined when there is none or it is no JSON object.
 */
export async function readComposerManifest(
  read: RangeReader,
  size: number,
): Promise<Record<string, unknown> | undefined> {
  const entry =
    (await readZipEntry(read, size, name => name === 'composer.json', MAX_MANIFEST_BYTES)) ??
    (await readZipEntry(read, size, name => /^[^/]+\/composer\.json$/.test(name), MAX_MANIFEST_BYTES));
  if (!entry) return undefined;
  try {
    const parsed: unknown = JSON.parse(entry.content.toString('utf8'));
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The upstream's stored record of a version, when it is a JSON object. */
export function storedRecord(metadata: string | undefined): Record<string, unknown> | undefined {
  if (metadata === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(metadata);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The sha1 (lower-case hex) of stored bytes, read in chunks. */
export async function sha1OfRanges(read: RangeReader, size: number): Promise<string> {
  const hash = createHash('sha1');
  for (let start = 0; start < size; start += HASH_CHUNK_BYTES) {
    hash.update(await read(start, Math.min(size, start + HASH_CHUNK_BYTES) - 1));
  }
  return hash.digest('hex');
}

/** One version entry of a p2 document. */
export function composerVersionEntry(options: {
  name: string;
  version: string;
  /** The stored record or the dist's composer.json; without either, the entry names the package and its dist only. */
  manifest?: Record<string, unknown>;
  distUrl: string;
  shasum: string;
  time?: string;
}): Record<string, unknown> {
  const manifest = options.manifest ?? {};
  const passed = Object.fromEntries(Object.entries(manifest).filter(([key]) => !NOT_PASSED_ON.has(key)));
  // The upstream's reference (a commit) keeps lock files written against it consistent.
  const upstreamReference = isObject(manifest.dist) ? manifest.dist.reference : undefined;
  const reference =
    typeof upstreamReference === 'string' && /^[\w.\/-]{1,128}$/.test(upstreamReference)
      ? upstreamReference
      : options.shasum;
  return {
    ...passed,
    name: options.name,
    version: options.version,
    version_normalized: normalizeComposerVersion(options.version) ?? options.version,
    ...(options.time ? { time: options.time } : {}),
    dist: { type: 'zip', url: options.distUrl, reference, shasum: options.shasum },
  };
}

/** Whether a version goes into `~dev.json` rather than the main document, as Packagist splits them. */
export function isDevVersion(version: string): boolean {
  return /^dev-|-dev$/i.test(version);
}

/** A p2 document of one package. */
export function composerPackageDocument(name: string, entries: Array<Record<string, unknown>>): string {
  return JSON.stringify({ packages: { [name]: entries } });
}
