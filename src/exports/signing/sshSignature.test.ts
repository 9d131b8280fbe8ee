import { execFile } from 'node:child_process';
import { sshKeygenVerify } from '../__testUtils__/sshKeys';
import { createHash, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigReader } from '@backstage/config';
import { readExportSettings } from '../exportSettings';
import { readSigningKey } from './signingKey';
import { BUNDLE_SIGNATURE_NAMESPACE, sshSignature } from './sshSignature';

const exec = promisify(execFile);

describe('SSH signatures', () => {
  let work: string;

  beforeAll(async () => {
    // ssh-keygen (openssh-client) is a prerequisite of the suite; .ci/run checks it.
    await exec('ssh-keygen', ['-?']).catch(error => {
      if (error.code === 'ENOENT') throw new Error('ssh-keygen is not installed (openssh-client)');
    });
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-sshsig-'));
  });

  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  async function verifyWithSshKeygen(keyText: string, message: Buffer, name: string) {
    const key = readSigningKey(keyText);
    const signatureFile = path.join(work, `${name}.sig`);
    await fs.writeFile(
      signatureFile,
      sshSignature(key, BUNDLE_SIGNATURE_NAMESPACE, createHash('sha512').update(message).digest()),
    );
    const allowed = path.join(work, `${name}.allowed_signers`);
    await fs.writeFile(allowed, `backpack ${key.publicKeyLine}\n`);
    return { key, signatureFile, allowed };
  }

  it('signs with an OpenSSH key so that ssh-keygen verifies, and names its fingerprint as ssh-keygen does', async () => {
    const keyFile = path.join(work, 'openssh');
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test', '-f', keyFile]);
    const message = Buffer.from('{"a":1}\n');
    const { key, signatureFile, allowed } = await verifyWithSshKeygen(
      await fs.readFile(keyFile, 'utf8'),
      message,
      'openssh',
    );
    const { stdout } = await exec('ssh-keygen', ['-l', '-f', `${keyFile}.pub`]);
    expect(stdout.split(' ')[1]).toBe(key.fingerprint);
    expect((await fs.readFile(`${keyFile}.pub`, 'utf8')).startsWith(`${key.publicKeyLine} `)).toBe(true);

    const good = await sshKeygenVerify(allowed, signatureFile, message);
    expect(good).toMatchObject({ code: 0 });
    expect(good.output).toContain(key.fingerprint);

    const tampered = Buffer.from(message);
    tampered[2] ^= 0x01;
    expect((await sshKeygenVerify(allowed, signatureFile, tampered)).code).not.toBe(0);
    expect((await sshKeygenVerify(allowed, signatureFile, message, 'file')).code).not.toBe(0);
  });

  it('signs with a PKCS#8 PEM key', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const message = Buffer.alloc(100_000, 7);
    const { signatureFile, allowed } = await verifyWithSshKeygen(pem, message, 'pkcs8');
    expect((await sshKeygenVerify(allowed, signatureFile, message)).code).toBe(0);
  });

  it('refuses keys that are not unencrypted Ed25519 keys, without quoting them', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    expect(() => readSigningKey(rsa)).toThrow('the key is rsa, not Ed25519');
    const encrypted = path.join(work, 'encrypted');
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', encrypted]);
    expect(() => readSigningKey(require('node:fs').readFileSync(encrypted, 'utf8'))).toThrow(
      'a key without a passphrase is needed',
    );
    expect(() => readSigningKey('ssh-ed25519 AAAA')).toThrow('expected an OpenSSH private key');
    expect(() => readSigningKey('-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----')).toThrow(
      /^the PKCS#8 PEM cannot be read$/,
    );
  });

  it('reads the key from backpack.exports.signing and refuses one it cannot use at startup', async () => {
    const keyFile = path.join(work, 'configured');
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    const settings = readExportSettings(
      new ConfigReader({ backpack: { exports: { signing: { privateKey: await fs.readFile(keyFile, 'utf8') } } } }),
    );
    const { stdout } = await exec('ssh-keygen', ['-l', '-f', `${keyFile}.pub`]);
    expect(settings.signingKey?.fingerprint).toBe(stdout.split(' ')[1]);
    expect(readExportSettings(new ConfigReader({})).signingKey).toBeUndefined();

    const secret = 'c2VjcmV0LWtleS1tYXRlcmlhbA==';
    const broken = () =>
      readExportSettings(new ConfigReader({ backpack: { exports: { signing: { privateKey: secret } } } }));
    expect(broken).toThrow(/^backpack\.exports\.signing\.privateKey: expected an OpenSSH private key/);
    expect(broken).not.toThrow(secret);
  });
});
