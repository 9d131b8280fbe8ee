import { createMessage, readKeys, readSignature, Signature, verify } from 'openpgp';

/** Lines one SHA256SUMS may have; a provider release has one per platform. */
const MAX_SUMS_LINES = 10_000;

/**
 * The sha256 of each file a SHA256SUMS document names (`<hex>  <name>`,
 * as `shasum -a 256` and GoReleaser write it; `*` marks binary mode).
 * Throws for a line that is neither that nor empty.
 */
export function parseSha256Sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  const lines = text.split('\n');
  if (lines.length > MAX_SUMS_LINES) throw new Error(`SHA256SUMS has more than ${MAX_SUMS_LINES} lines`);
  lines.forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) return;
    const match = /^([0-9a-fA-F]{64}) [ *]([^\s/\\][^/\\]*)$/.exec(line);
    if (!match) throw new Error(`SHA256SUMS line ${index + 1} is not '<sha256>  <file name>'`);
    sums.set(match[2], match[1].toLowerCase());
  });
  return sums;
}

async function readDetachedSignature(bytes: Buffer): Promise<Signature> {
  try {
    return await readSignature({ binarySignature: new Uint8Array(bytes) });
  } catch {
    // Some registries serve the signature ASCII-armored.
    return await readSignature({ armoredSignature: bytes.toString('utf8') });
  }
}

/**
 * Verifies a detached OpenPGP signature of `sums` against the registry's
 * published keys; resolves to the signing key's id (hex), or throws
 * saying why the checksums are not to be trusted.
 */
export async function verifySignedSums(sums: Buffer, signatureBytes: Buffer, armoredKeys: string[]): Promise<string> {
  const keys = [];
  for (const armoredKey of armoredKeys) {
    try {
      keys.push(...(await readKeys({ armoredKeys: armoredKey })));
    } catch {
      // An unreadable key among several is skipped; none readable fails below.
    }
  }
  if (keys.length === 0) throw new Error('none of the published signing keys is a readable OpenPGP public key');
  let signature: Signature;
  try {
    signature = await readDetachedSignature(signatureBytes);
  } catch {
    throw new Error('SHA256SUMS.sig is not an OpenPGP signature');
  }
  const result = await verify({
    message: await createMessage({ binary: new Uint8Array(sums) }),
    signature,
    verificationKeys: keys,
  });
  const failures: string[] = [];
  for (const { verified, keyID } of result.signatures) {
    try {
      await verified;
      return keyID.toHex();
    } catch (error) {
      failures.push(`${keyID.toHex()}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`the signature of SHA256SUMS does not verify with the published keys (${failures.join('; ') || 'no signature'})`);
}

