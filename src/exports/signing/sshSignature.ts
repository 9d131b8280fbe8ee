import { sign } from 'node:crypto';
import { SigningKey } from './signingKey';
import { sshString, sshUint32 } from './sshWire';

/** The namespace bundle signatures are made in (`ssh-keygen -Y verify -n`). */
export const BUNDLE_SIGNATURE_NAMESPACE = 'backpack-bundle';

/** The hash the signature covers the manifest with. */
export const SIGNATURE_HASH = 'sha512';

const MAGIC = Buffer.from('SSHSIG');
const VERSION = 1;
const LINE = 70;

/**
 * A detached SSH signature (OpenSSH's PROTOCOL.sshsig, what
 * `ssh-keygen -Y sign` writes) over a message whose sha512 is
 * `messageSha512`, armored as `-----BEGIN SSH SIGNATURE-----`.
 */
export function sshSignature(key: SigningKey, namespace: string, messageSha512: Buffer): string {
  const signedData = Buffer.concat([
    MAGIC,
    sshString(namespace),
    sshString(''), // reserved
    sshString(SIGNATURE_HASH),
    sshString(messageSha512),
  ]);
  const signature = Buffer.concat([
    sshString('ssh-ed25519'),
    sshString(sign(null, signedData, key.privateKey)),
  ]);
  const blob = Buffer.concat([
    MAGIC,
    sshUint32(VERSION),
    sshString(key.publicKeyBlob),
    sshString(namespace),
    sshString(''),
    sshString(SIGNATURE_HASH),
    sshString(signature),
  ]);
  const base64 = blob.toString('base64');
  const lines: string[] = [];
  for (let at = 0; at < base64.length; at += LINE) lines.push(base64.slice(at, at + LINE));
  return `-----BEGIN SSH SIGNATURE-----\n${lines.join('\n')}\n-----END SSH SIGNATURE-----\n`;
}
