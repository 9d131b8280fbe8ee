import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { BUNDLE_SIGNATURE_NAMESPACE } from '../signing/sshSignature';

const exec = promisify(execFile);

/** An Ed25519 key pair made by `ssh-keygen`, as files. */
export interface SshKeyPair {
  privateKeyFile: string;
  publicKeyFile: string;
  /** `backpack ssh-ed25519 AAAA…`: trusts the key for `-I backpack`. */
  allowedSignersFile: string;
  /** `SHA256:…` as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

/** Makes a key pair with ssh-keygen (openssh-client, which CI installs). */
export async function sshKeygenKeyPair(directory: string, name: string): Promise<SshKeyPair> {
  const privateKeyFile = path.join(directory, name);
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', privateKeyFile]);
  const publicKeyFile = `${privateKeyFile}.pub`;
  const publicKey = (await fs.readFile(publicKeyFile, 'utf8')).trim();
  const allowedSignersFile = path.join(directory, `${name}.allowed_signers`);
  await fs.writeFile(allowedSignersFile, `backpack ${publicKey}\n`);
  const { stdout } = await exec('ssh-keygen', ['-l', '-f', publicKeyFile]);
  return { privateKeyFile, publicKeyFile, allowedSignersFile, fingerprint: stdout.split(' ')[1] };
}

/** `ssh-keygen -Y verify` with the message on stdin, as the far side runs it; its exit status and output. */
export async function sshKeygenVerify(
  allowedSigners: string,
  signatureFile: string,
  message: Buffer,
  namespace = BUNDLE_SIGNATURE_NAMESPACE,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    'ssh-keygen',
    ['-Y', 'verify', '-f', allowedSigners, '-I', 'backpack', '-n', namespace, '-s', signatureFile],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', chunk => (output += chunk));
  child.stderr.on('data', chunk => (output += chunk));
  child.stdin.end(message);
  const code = await new Promise<number | null>(resolve => child.once('close', resolve));
  return { code, output };
}
