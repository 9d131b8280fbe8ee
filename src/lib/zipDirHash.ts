import { createHash } from 'node:crypto';
import { hash1 } from './dirhash';
import { RangeReader, readZipDirectory, zipEntryContent } from './zipEntry';

/** Bounds on what {@link zipDirHash} reads of one archive. */
export interface ZipDirHashLimits {
  /** Entries an archive may have. */
  maxEntries: number;
  /** Their declared content sizes added up. */
  maxUnpackedBytes: number;
}

/**
 * The "h1:" hash of a zip's contents: Go's `dirhash.Hash1` as
 * `dirhash.HashZip` applies it, which Terraform records in lock files and
 * network mirrors as a provider package's `h1:` hash. For every entry of
 * the central directory (directories included, duplicates as often as
 * they occur, each read as the last entry of its name), the line
 * `<sha256 hex of its content>  <name>\n`; the lines sorted by name; then
 * `h1:` and the base64 of the sha256 of those lines. Read by ranged reads
 * and streamed, so a large package takes little memory; undefined for an
 * archive that cannot be read, is over the limits, or has a name with a
 * newline (which dirhash refuses too).
 */
export async function zipDirHash(
  read: RangeReader,
  size: number,
  limits: ZipDirHashLimits,
): Promise<string | undefined> {
  const entries = await readZipDirectory(read, size);
  if (!entries || entries.length > limits.maxEntries) return undefined;
  const unpacked = entries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
  if (unpacked > limits.maxUnpackedBytes || entries.some(entry => entry.name.includes('\n'))) return undefined;
  const byName = new Map(entries.map(entry => [entry.name, entry]));
  const digests = new Map<string, string>();
  try {
    for (const [name, entry] of byName) {
      const hash = createHash('sha256');
      for await (const chunk of zipEntryContent(read, size, entry)) hash.update(chunk);
      digests.set(name, hash.digest('hex'));
    }
  } catch {
    return undefined;
  }
  // Each name as often as the directory lists it, read as its last entry, as HashZip does.
  return hash1(entries.map(entry => ({ name: entry.name, sha256: digests.get(entry.name)! })));
}
