/**
 * Checksum files as release pipelines publish them: `SHA256SUMS`,
 * `checksums.txt`, `<project>_<version>_checksums.txt` (GoReleaser) list
 * `<hex>  <name>` lines (`sha256sum`'s output, `*` before the name in
 * binary mode); `<file>.sha256` holds the digest of `<file>`, alone or as
 * such a line.
 */

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const LIST_NAMES = /^(?:sha256sums(?:\.txt)?|(?:.*[_.-])?checksums\.txt)$/i;
const SIDECAR = /^(.+)\.sha256(?:sum)?$/i;

/** Whether a release asset is a checksum file Backpack verifies others against. */
export function isChecksumFileName(name: string): boolean {
  return LIST_NAMES.test(name) || SIDECAR.test(name);
}

/**
 * The sha256 digests a checksum file declares, by file name (lower-case
 * hex). Lines that are not a sha256 line are ignored (other algorithms,
 * comments, signatures); a name declared twice with different digests is
 * dropped, since neither can be trusted. A sidecar (`x.tar.gz.sha256`) with
 * a bare digest declares it for `x.tar.gz`.
 */
export function parseChecksumFile(fileName: string, text: string): Map<string, string> {
  const digests = new Map<string, string>();
  const conflicting = new Set<string>();
  const sidecarOf = SIDECAR.exec(fileName)?.[1];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^([0-9a-fA-F]+)(?:\s+\*?(.+))?$/.exec(line);
    if (!match || !SHA256_HEX.test(match[1])) continue;
    // `dist/tool.tar.gz` (sums written from a build directory) names `tool.tar.gz`.
    const name = match[2] === undefined ? sidecarOf : match[2].trim().split('/').pop();
    if (!name) continue;
    const digest = match[1].toLowerCase();
    const seen = digests.get(name);
    if (seen !== undefined && seen !== digest) conflicting.add(name);
    digests.set(name, digest);
  }
  for (const name of conflicting) digests.delete(name);
  return digests;
}
