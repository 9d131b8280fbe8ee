import { Readable } from 'node:stream';
import { readTarEntries } from '../../lib/tarEntries';
import { DEFAULT_PARSING_LIMITS, ParsingLimits } from '../../upstream/limits';

/** package.json is small; a larger entry is not a manifest worth serving. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** `<root>/package.json`: npm strips the first path segment, whatever it is. */
const MANIFEST_PATH = /^[^/]+\/package\.json$/;

/**
 * Reads `package.json` out of an npm tarball (a gzipped tar) as a stream,
 * stopping as soon as it is found. Returns undefined when the tarball has
 * none or is not a readable tar.gz, and throws when the source stream
 * fails (a storage error says nothing about the tarball); the source
 * stream is always consumed or destroyed.
 *
 * The registry's manifest of a version is the package.json that was
 * published in its tarball, so this is how a mirror regenerates it with
 * every field the client needs (bin, engines, os, cpu, alias specs).
 *
 * The tarball came from an upstream, so inflation is bounded: past
 * `limits.maxInflatedBytes` inflated bytes or `limits.maxEntries` entries
 * without a manifest it gives up (undefined), whatever the archive claims.
 */
export async function readNpmTarballManifest(
  tarball: Readable,
  limits: ParsingLimits['tarball'] = DEFAULT_PARSING_LIMITS.tarball,
): Promise<Record<string, unknown> | undefined> {
  const found = await readTarEntries(
    tarball,
    { wants: path => MANIFEST_PATH.test(path), stopAfter: 1 },
    { ...limits, maxEntryBytes: MAX_MANIFEST_BYTES },
  );
  const [bytes] = found.values();
  return bytes && parseManifest(bytes);
}

function parseManifest(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    // Some publishers wrote a byte-order mark.
    const parsed = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
