import { TestDatabases } from '@backstage/backend-test-utils';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createBackpackStores } from '../database/createBackpackStores';
import { LocalDirectoryBlobStore } from '../storage/LocalDirectoryBlobStore';
import {
  CollectedSeeder,
  downloadBundle,
  npmVersion,
  runVerify,
  testExportService,
} from './__testUtils__/bundleFiles';
import { SshKeyPair, sshKeygenKeyPair, sshKeygenVerify } from './__testUtils__/sshKeys';
import { BundleManifest } from './manifest';
import { readSigningKey } from './signing/signingKey';

// Signed bundles as the far side checks them: with ssh-keygen, which every
// host has, and with the verification command's --key, across a key
// rotation, against a tampered manifest and an untrusted key.

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

describe('signed bundles', () => {
  let work: string;
  let current: SshKeyPair;
  let previous: SshKeyPair;
  let stranger: SshKeyPair;
  let build: (key?: SshKeyPair) => Promise<{ directory: string; manifest: BundleManifest }>;

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-signed-'));
    [current, previous, stranger] = await Promise.all(
      ['current', 'previous', 'stranger'].map(name => sshKeygenKeyPair(work, name)),
    );
    const knex = await databases.init('SQLITE_3');
    const stores = await createBackpackStores({ database: { getClient: async () => knex } });
    const blobStore = new LocalDirectoryBlobStore({ directory: path.join(work, 'blobs') });
    const seeder = new CollectedSeeder(stores, knex, blobStore);
    await seeder.seed('npm', 'bp-app', { '1.0.0': npmVersion('bp-app', '1.0.0', { 'bp-lib': '^1.0.0' }) });
    await seeder.seed('npm', 'bp-lib', { '1.0.0': npmVersion('bp-lib', '1.0.0') });
    let n = 0;
    build = async key => {
      const service = testExportService({
        stores,
        blobStore,
        processors: ['npm'],
        partSizeBytes: 4096,
        signingKey: key && readSigningKey(await fs.readFile(key.privateKeyFile, 'utf8')),
      });
      const created = await service.createExport({});
      await service.drain();
      expect(await service.getExport(created.id)).toMatchObject({ status: 'succeeded' });
      const directory = path.join(work, `bundle-${++n}`);
      return { directory, manifest: await downloadBundle(blobStore, created.id, directory) };
    };
  });

  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  const manifestOf = (directory: string) => fs.readFile(path.join(directory, 'manifest.json'));
  const signatureOf = (directory: string) => path.join(directory, 'manifest.json.sig');

  it('is verified by ssh-keygen and by the verification command, also among rotated keys', async () => {
    const { directory, manifest } = await build(current);
    expect(manifest.signing).toEqual({
      format: 'sshsig',
      namespace: 'backpack-bundle',
      fingerprint: current.fingerprint,
      signature: 'manifest.json.sig',
    });
    const bySshKeygen = await sshKeygenVerify(current.allowedSignersFile, signatureOf(directory), await manifestOf(directory));
    expect(bySshKeygen.code).toBe(0);
    expect(bySshKeygen.output).toContain(`Good "backpack-bundle" signature for backpack with ED25519 key ${current.fingerprint}`);

    const byTool = await runVerify(directory, ['--key', current.publicKeyFile]);
    expect(byTool).toEqual({ code: 0, stdout: expect.stringContaining(`, signed by ${current.fingerprint}\n`) });
    // After a rotation the far side trusts the old and the new key.
    const rotated = await runVerify(directory, ['--key', previous.publicKeyFile, '--key', current.allowedSignersFile]);
    expect(rotated.code).toBe(0);
    // Without --key the signature is not asked for.
    expect((await runVerify(directory)).code).toBe(0);
  });

  it('refuses a manifest with one byte changed', async () => {
    const { directory } = await build(current);
    const bytes = await manifestOf(directory);
    // A digit of the creation time: still valid JSON, still a plausible manifest.
    const at = bytes.indexOf('"createdAt":"') + '"createdAt":"'.length + 3;
    bytes[at] = bytes[at] === 0x30 ? 0x31 : 0x30;
    await fs.writeFile(path.join(directory, 'manifest.json'), bytes);

    expect((await sshKeygenVerify(current.allowedSignersFile, signatureOf(directory), bytes)).code).not.toBe(0);
    const byTool = await runVerify(directory, ['--key', current.publicKeyFile]);
    expect(byTool.code).toBe(1);
    expect(byTool.stdout).toContain(`CORRUPT manifest.json.sig: does not match the manifest (signed by ${current.fingerprint})`);
    expect(byTool.stdout).toMatch(/^FAILED: /m);
  });

  it('refuses a bundle signed by a key that is not trusted', async () => {
    const { directory } = await build(stranger);
    const manifest = await manifestOf(directory);
    expect((await sshKeygenVerify(current.allowedSignersFile, signatureOf(directory), manifest)).code).not.toBe(0);
    const byTool = await runVerify(directory, ['--key', current.publicKeyFile, '--key', previous.publicKeyFile]);
    expect(byTool.code).toBe(1);
    expect(byTool.stdout).toContain(
      `UNTRUSTED manifest.json.sig: signed by ${stranger.fingerprint}, which is not a trusted key (--key)`,
    );
  });

  it('refuses an unsigned bundle when a key is given', async () => {
    const { directory, manifest } = await build();
    expect(manifest.signing).toBeUndefined();
    const byTool = await runVerify(directory, ['--key', current.publicKeyFile]);
    expect(byTool.code).toBe(1);
    expect(byTool.stdout).toContain('MISSING manifest.json.sig: no signature beside the manifest');
    const badKeyFile = path.join(work, 'not-a-key');
    await fs.writeFile(badKeyFile, 'hello\n');
    expect(await runVerify(directory, ['--key', badKeyFile])).toMatchObject({
      code: 2,
      stdout: expect.stringContaining('holds no ssh-ed25519 public key'),
    });
  });
});
