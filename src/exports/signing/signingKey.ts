import { createHash, createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { SshReader, sshString } from './sshWire';

const OPENSSH_MAGIC = Buffer.from('openssh-key-v1\0', 'binary');
const ED25519 = 'ssh-ed25519';

/** An Ed25519 key that signs bundles, with its public half as SSH knows it. */
export interface SigningKey {
  privateKey: KeyObject;
  /** The SSH public key blob: `string "ssh-ed25519"`, `string key`. */
  publicKeyBlob: Buffer;
  /** `ssh-ed25519 AAAA…`, a line of an `authorized_keys` or `allowed_signers` file. */
  publicKeyLine: string;
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

const base64url = (bytes: Buffer) => bytes.toString('base64url');

/** The fingerprint of an SSH public key blob, as `ssh-keygen -l` prints it. */
export function sshFingerprint(publicKeyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicKeyBlob).digest('base64').replace(/=+$/, '')}`;
}

function keyFromRaw(seed: Buffer, publicKey: Buffer): KeyObject {
  return createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: base64url(seed), x: base64url(publicKey) },
    format: 'jwk',
  });
}

/**
 * Reads the private half of an unencrypted OpenSSH key file
 * (`ssh-keygen -t ed25519 -N ''`): the `openssh-key-v1` format of
 * OpenSSH's PROTOCOL.key.
 */
function readOpenSshKey(pem: string): KeyObject {
  const body = pem
    .replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, '')
    .replace(/\s+/g, '');
  const data = Buffer.from(body, 'base64');
  if (!data.subarray(0, OPENSSH_MAGIC.length).equals(OPENSSH_MAGIC)) {
    throw new Error('not an openssh-key-v1 key');
  }
  const reader = new SshReader(data.subarray(OPENSSH_MAGIC.length), 'the OpenSSH key');
  const cipher = reader.text();
  reader.string(); // kdf name
  reader.string(); // kdf options
  if (cipher !== 'none') {
    throw new Error('the OpenSSH key is encrypted; a key without a passphrase is needed');
  }
  if (reader.uint32() !== 1) throw new Error('the OpenSSH key file holds more than one key');
  reader.string(); // public key, repeated in the private section
  const secret = new SshReader(reader.string(), 'the OpenSSH private section');
  const check = secret.uint32();
  if (check !== secret.uint32()) throw new Error('the OpenSSH key is corrupt (check bytes differ)');
  const type = secret.text();
  if (type !== ED25519) throw new Error(`the key is ${type}, not ${ED25519}`);
  const publicKey = secret.string();
  const privateKey = secret.string();
  if (publicKey.length !== 32 || privateKey.length !== 64) throw new Error('the Ed25519 key is corrupt');
  return keyFromRaw(privateKey.subarray(0, 32), publicKey);
}

/**
 * An Ed25519 signing key from an OpenSSH private key file
 * (`BEGIN OPENSSH PRIVATE KEY`, unencrypted) or a PKCS#8 PEM
 * (`BEGIN PRIVATE KEY`, e.g. `openssl genpkey -algorithm ed25519`).
 * Errors never quote the key.
 */
export function readSigningKey(text: string): SigningKey {
  const pem = text.trim();
  let privateKey: KeyObject;
  if (pem.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----')) {
    privateKey = readOpenSshKey(pem);
  } else if (pem.startsWith('-----BEGIN PRIVATE KEY-----')) {
    try {
      privateKey = createPrivateKey({ key: pem, format: 'pem' });
    } catch {
      throw new Error('the PKCS#8 PEM cannot be read');
    }
  } else {
    throw new Error('expected an OpenSSH private key or a PKCS#8 PEM (BEGIN PRIVATE KEY)');
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`the key is ${privateKey.asymmetricKeyType}, not Ed25519`);
  }
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  const publicKeyBlob = Buffer.concat([sshString(ED25519), sshString(Buffer.from(jwk.x!, 'base64url'))]);
  return {
    privateKey,
    publicKeyBlob,
    publicKeyLine: `${ED25519} ${publicKeyBlob.toString('base64')}`,
    fingerprint: sshFingerprint(publicKeyBlob),
  };
}
