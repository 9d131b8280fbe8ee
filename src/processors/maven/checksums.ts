import { FileIntegrity } from '../../types';

const HEX_LENGTH: Partial<Record<FileIntegrity['algorithm'], number>> = {
  sha1: 40,
  sha256: 64,
  sha512: 128,
  md5: 32,
};

/**
 * Reads a checksum sidecar (`.sha1`, `.sha256`, …). Repositories write the
 * bare digest, `digest  filename` (sha1sum style) or `SHA1(file)= digest`;
 * the first token of the right length in hex is the digest.
 */
export function parseChecksumFile(
  content: string,
  algorithm: FileIntegrity['algorithm'],
): FileIntegrity | undefined {
  const length = HEX_LENGTH[algorithm];
  const digest = content
    .split(/[\s=]+/)
    .find(token => token.length === length && /^[0-9a-fA-F]+$/.test(token));
  return digest ? { algorithm, digest: digest.toLowerCase() } : undefined;
}
