import { TestDatabases } from '@backstage/backend-test-utils';
import { ConflictError, InputError } from '@backstage/errors';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { Knex } from 'knex';
import { BackpackStores, createBackpackStores } from '../database/createBackpackStores';
import { ExportService } from './ExportService';
import { BlobStore } from '../storage/BlobStore';
import { fileStorageKey } from '../storage/fileStorageKey';
import { LocalDirectoryBlobStore } from '../storage/LocalDirectoryBlobStore';
import { S3BlobStore } from '../storage/S3BlobStore';
import { startS3rver, TestS3Server } from '../__testUtils__/s3rver';
import {
  CollectedSeeder,
  downloadBundle,
  npmVersion,
  flipByte,
  runVerify,
  sha256,
  testExportService,
  unpackBundle,
} from './__testUtils__/bundleFiles';
import { BundleManifest, sealOf } from './manifest';
import { ExportRecord } from './types';

const exec = promisify(execFile);

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

/** A name long enough that its tarball path needs a pax header. */
const LONG_NAME = `bp-${'long'.repeat(30)}`;
const PART_SIZE = 1500;

// Every database with the local-directory store, and the S3 store (s3rver)
// once: parts and the manifest are uploaded while they are written.
const cases: Array<[string, 'local' | 's3']> = [
  ...databases.eachSupportedId().map(([id]): [string, 'local'] => [id, 'local']),
  ['SQLITE_3', 's3'],
];

describe.each(cases)('export bundles on %p into the %p blob store', (databaseId, blobKind) => {
  let knex: Knex;
  let stores: BackpackStores;
  let blobDir: string;
  let s3: TestS3Server | undefined;
  let work: string;
  let blobStore: BlobStore;
  let service: ExportService;
  let seeder: CollectedSeeder;
  const seed = (...args: Parameters<CollectedSeeder['seed']>) => seeder.seed(...args);

  async function exportAndWait(request: { since?: string; processors?: string[] } = {}): Promise<ExportRecord> {
    const created = await service.createExport({ ...request, requestedBy: 'user:default/test' });
    await service.drain();
    return service.getExport(created.id);
  }

  const files = (manifest: BundleManifest) => manifest.files.map(f => f.path).sort();

  beforeAll(async () => {
    knex = await databases.init(databaseId as Parameters<typeof databases.init>[0]);
    stores = await createBackpackStores({ database: { getClient: async () => knex } });
    blobDir = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-bundle-blobs-'));
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-bundle-work-'));
    if (blobKind === 's3') {
      s3 = await startS3rver({ buckets: ['backpack-exports'] });
      blobStore = new S3BlobStore({
        bucket: 'backpack-exports',
        endpoint: s3.endpoint,
        forcePathStyle: true,
        credentials: s3.credentials,
        prefix: 'mirror/',
      });
    } else {
      blobStore = new LocalDirectoryBlobStore({ directory: blobDir });
    }
    seeder = new CollectedSeeder(stores, knex, blobStore);
    service = testExportService({
      stores,
      blobStore,
      processors: ['npm', 'pypi', 'maven', 'test'],
      partSizeBytes: PART_SIZE,
    });
  });

  afterAll(async () => {
    await service.stop();
    await s3?.close();
    await fs.rm(blobDir, { recursive: true, force: true });
    await fs.rm(work, { recursive: true, force: true });
  });

  let full: ExportRecord;
  let fullManifest: BundleManifest;
  const fullDir = () => path.join(work, 'full');

  it('builds a full bundle that verifies, unpacks and serves as static registries', async () => {
    await seed('npm', '@bp/app', { '1.0.0': npmVersion('@bp/app', '1.0.0', { 'bp-lib': '^1.0.0' }) });
    await seed('npm', 'bp-lib', { '1.0.0': npmVersion('bp-lib', '1.0.0') });
    await seed('npm', LONG_NAME, { '1.0.0': npmVersion(LONG_NAME, '1.0.0') });
    await seed('pypi', 'demo-pkg', {
      '1.0': { files: [{ path: 'packages/demo_pkg-1.0-py3-none-any.whl', content: Buffer.from('wheel 1.0\n'.repeat(150)) }] },
    });
    await seed('maven', 'org.example:demo', {
      '1.0': {
        files: [
          { path: 'org/example/demo/1.0/demo-1.0.pom', content: Buffer.from('<project/>\n') },
          { path: 'org/example/demo/1.0/demo-1.0.jar', content: Buffer.from('jar bytes\n'.repeat(200)) },
        ],
      },
    });
    await seed('test', 'thing', { '0.1.0': { files: [{ path: 'thing/thing-0.1.0.bin', content: Buffer.from('thing') }] } });

    full = await exportAndWait();
    expect(full).toMatchObject({
      status: 'succeeded',
      kind: 'full',
      requestedBy: 'user:default/test',
      cutoff: expect.any(String),
      seal: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(full.parts.length).toBeGreaterThan(3);
    expect(full.parts.slice(0, -1).every(p => p.size === PART_SIZE)).toBe(true);
    expect(full.totalBytes).toBe(full.parts.reduce((sum, p) => sum + p.size, 0));

    fullManifest = await downloadBundle(blobStore, full.id, fullDir());
    expect(fullManifest.seal.digest).toBe(full.seal);
    expect(sealOf(fullManifest as unknown as Record<string, unknown>)).toBe(full.seal);
    expect(fullManifest.totalFiles).toBe(full.files);
    const longTarball = `npm/-/${LONG_NAME}/1.0.0/${LONG_NAME}-1.0.0.tgz`;
    expect(files(fullManifest)).toEqual(
      [
        'maven/org/example/demo/1.0/demo-1.0.jar',
        'maven/org/example/demo/1.0/demo-1.0.jar.md5',
        'maven/org/example/demo/1.0/demo-1.0.jar.sha1',
        'maven/org/example/demo/1.0/demo-1.0.pom',
        'maven/org/example/demo/1.0/demo-1.0.pom.md5',
        'maven/org/example/demo/1.0/demo-1.0.pom.sha1',
        'maven/org/example/demo/maven-metadata.xml',
        'maven/org/example/demo/maven-metadata.xml.md5',
        'maven/org/example/demo/maven-metadata.xml.sha1',
        'npm/-/@bp/app/1.0.0/app-1.0.0.tgz',
        longTarball,
        'npm/-/bp-lib/1.0.0/bp-lib-1.0.0.tgz',
        'npm/@bp/app',
        `npm/${LONG_NAME}`,
        'npm/bp-lib',
        'pypi/packages/demo-pkg/1.0/demo_pkg-1.0-py3-none-any.whl',
        'pypi/simple/demo-pkg/index.html',
        'pypi/simple/index.html',
        'sbom.cdx.json',
        'test/thing/0.1.0/thing-0.1.0.bin',
      ].sort(),
    );
    expect(longTarball.length).toBeGreaterThan(100);

    // The receiving side: the verification command, then the documented unpack.
    expect(await runVerify(fullDir())).toEqual({
      code: 0,
      stdout: `OK: ${fullManifest.files.length} files, ${full.parts.length} parts\n`,
    });
    const unpacked = path.join(work, 'registry');
    await unpackBundle(fullDir(), fullManifest, unpacked);
    for (const file of fullManifest.files) {
      expect(sha256(await fs.readFile(path.join(unpacked, file.path)))).toBe(file.sha256);
    }

    // The seal is what jq's canonical form hashes to, as the manifest says.
    const { stdout: canonical } = await exec('jq', ['-jcS', 'del(.seal)', path.join(fullDir(), 'manifest.json')]);
    expect(sha256(canonical)).toBe(full.seal);

    const packument = JSON.parse(await fs.readFile(path.join(unpacked, 'npm/@bp/app'), 'utf8'));
    const tarball = await fs.readFile(path.join(unpacked, 'npm/-/@bp/app/1.0.0/app-1.0.0.tgz'));
    expect(packument).toMatchObject({
      name: '@bp/app',
      'dist-tags': { latest: '1.0.0' },
      versions: {
        '1.0.0': {
          name: '@bp/app',
          version: '1.0.0',
          dependencies: { 'bp-lib': '^1.0.0' },
          // From the package.json inside the tarball.
          bin: { app: 'cli.js' },
          dist: {
            tarball: 'https://registry.npmjs.org/-/@bp/app/1.0.0/app-1.0.0.tgz',
            integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
          },
        },
      },
    });

    const page = await fs.readFile(path.join(unpacked, 'pypi/simple/demo-pkg/index.html'), 'utf8');
    const wheel = await fs.readFile(
      path.join(unpacked, 'pypi/packages/demo-pkg/1.0/demo_pkg-1.0-py3-none-any.whl'),
    );
    expect(page).toContain(
      `href="../../packages/demo-pkg/1.0/demo_pkg-1.0-py3-none-any.whl#sha256=${sha256(wheel)}"`,
    );
    expect(await fs.readFile(path.join(unpacked, 'pypi/simple/index.html'), 'utf8')).toContain(
      '<a href="demo-pkg/">demo-pkg</a>',
    );

    const metadata = await fs.readFile(path.join(unpacked, 'maven/org/example/demo/maven-metadata.xml'));
    expect(metadata.toString()).toContain('<release>1.0</release>');
    expect(await fs.readFile(path.join(unpacked, 'maven/org/example/demo/maven-metadata.xml.sha1'), 'utf8')).toBe(
      createHash('sha1').update(metadata).digest('hex'),
    );
    const jar = await fs.readFile(path.join(unpacked, 'maven/org/example/demo/1.0/demo-1.0.jar'));
    expect(await fs.readFile(path.join(unpacked, 'maven/org/example/demo/1.0/demo-1.0.jar.md5'), 'utf8')).toBe(
      createHash('md5').update(jar).digest('hex'),
    );
  });

  it('builds a delta of exactly the files collected since, with complete metadata of what it touches', async () => {
    await seed('npm', '@bp/app', { '1.1.0': npmVersion('@bp/app', '1.1.0', { 'bp-lib': '^1.0.0' }) });
    await seed('pypi', 'demo-pkg', {
      '1.1': { files: [{ path: 'packages/demo_pkg-1.1.tar.gz', content: Buffer.from('sdist 1.1\n') }] },
    });

    const delta = await exportAndWait({ since: full.id });
    expect(delta).toMatchObject({ status: 'succeeded', kind: 'delta', since: { exportId: full.id, time: full.cutoff } });
    expect(delta.cutoff! > full.cutoff!).toBe(true);
    const deltaDir = path.join(work, 'delta');
    const manifest = await downloadBundle(blobStore, delta.id, deltaDir);
    expect(files(manifest)).toEqual([
      'npm/-/@bp/app/1.1.0/app-1.1.0.tgz',
      'npm/@bp/app',
      'pypi/packages/demo-pkg/1.1/demo_pkg-1.1.tar.gz',
      'pypi/simple/demo-pkg/index.html',
      'pypi/simple/index.html',
      'sbom.cdx.json',
    ]);
    expect(await runVerify(deltaDir)).toEqual({
      code: 0,
      stdout: `OK: 6 files, ${delta.parts.length} parts\n`,
    });

    // Unpacked in order over the full bundle, the registries are complete.
    const unpacked = path.join(work, 'registry');
    await unpackBundle(deltaDir, manifest, unpacked);
    const packument = JSON.parse(await fs.readFile(path.join(unpacked, 'npm/@bp/app'), 'utf8'));
    expect(Object.keys(packument.versions).sort()).toEqual(['1.0.0', '1.1.0']);
    expect(packument['dist-tags']).toEqual({ latest: '1.1.0' });
    await fs.access(path.join(unpacked, 'npm/-/@bp/app/1.0.0/app-1.0.0.tgz'));
    const page = await fs.readFile(path.join(unpacked, 'pypi/simple/demo-pkg/index.html'), 'utf8');
    expect(page).toContain('demo_pkg-1.0-py3-none-any.whl');
    expect(page).toContain('demo_pkg-1.1.tar.gz');

    // The same window given as a timestamp, limited to one processor.
    const byTime = await exportAndWait({ since: full.cutoff, processors: ['pypi'] });
    expect(byTime).toMatchObject({ status: 'succeeded', kind: 'delta', processors: ['pypi'] });
    const byTimeManifest = await downloadBundle(blobStore, byTime.id, path.join(work, 'by-time'));
    expect(files(byTimeManifest)).toEqual(files(manifest).filter(p => p.startsWith('pypi/') || p === 'sbom.cdx.json'));

    // Nothing new since the delta: an empty bundle (but for its empty SBOM) that still verifies.
    const empty = await exportAndWait({ since: delta.id });
    expect(empty).toMatchObject({ status: 'succeeded', files: 1 });
    expect(empty.cutoff! > delta.cutoff!).toBe(true);
    expect(await runVerify(await downloadEmpty(empty))).toEqual({
      code: 0,
      stdout: `OK: 1 files, ${empty.parts.length} parts\n`,
    });
  });

  async function downloadEmpty(record: ExportRecord) {
    const dir = path.join(work, `bundle-${record.id}`);
    await downloadBundle(blobStore, record.id, dir);
    return dir;
  }

  it('reports the file whose byte was flipped, missing parts and a tampered manifest', async () => {
    const copy = async (name: string) => {
      const dir = path.join(work, name);
      await fs.cp(fullDir(), dir, { recursive: true });
      return dir;
    };
    const jar = fullManifest.files.find(f => f.path === 'maven/org/example/demo/1.0/demo-1.0.jar')!;

    const flipped = await copy('flipped-content');
    const part = await flipByte(flipped, fullManifest, jar.offset + 700);
    const content = await runVerify(flipped);
    expect(content.code).toBe(1);
    expect(content.stdout).toContain(`CORRUPT ${part}: sha256 `);
    expect(content.stdout).toContain(`CORRUPT ${jar.path}: sha256 `);
    expect(content.stdout.trim().split('\n')).toHaveLength(3); // the part, the file, the summary

    // A byte of a header (here in its mtime field) is the file's problem too.
    const header = await copy('flipped-header');
    await flipByte(header, fullManifest, jar.offset - 512 + 140);
    const headerResult = await runVerify(header);
    expect(headerResult.code).toBe(1);
    expect(headerResult.stdout).toContain(`CORRUPT ${jar.path}: tar header checksum mismatch`);

    const missing = await copy('missing-part');
    const lastJarPart = Math.floor((jar.offset + jar.size - 1) / PART_SIZE);
    await fs.rm(path.join(missing, fullManifest.parts[lastJarPart].name));
    const missingResult = await runVerify(missing);
    expect(missingResult.code).toBe(1);
    expect(missingResult.stdout).toContain(`MISSING ${fullManifest.parts[lastJarPart].name}: not in the directory`);
    expect(missingResult.stdout).toContain(`MISSING ${jar.path}: its bytes are in ${fullManifest.parts[lastJarPart].name}`);

    const tampered = await copy('tampered-manifest');
    const manifest = JSON.parse(await fs.readFile(path.join(tampered, 'manifest.json'), 'utf8'));
    manifest.files.find((f: { path: string }) => f.path === jar.path).sha256 = '0'.repeat(64);
    await fs.writeFile(path.join(tampered, 'manifest.json'), JSON.stringify(manifest, null, 2));
    const tamperedResult = await runVerify(tampered);
    expect(tamperedResult.code).toBe(1);
    expect(tamperedResult.stdout).toContain('CORRUPT manifest.json: seal mismatch');
    expect(tamperedResult.stdout).toContain(`CORRUPT ${jar.path}: sha256 ${jar.sha256}, expected ${'0'.repeat(64)}`);
  });

  it('fails an export whose stored object changed since collection and leaves no parts behind', async () => {
    const key = fileStorageKey({ processor: 'maven', artifactId: 'org.example:demo', version: '1.0', name: 'demo-1.0.pom' });
    await blobStore.put(key, Readable.from([Buffer.from('<evil/>\n\n\n\n')]));
    const failed = await exportAndWait();
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain(`${key}: stored bytes have sha256`);
    expect(failed.parts).toEqual([]);
    expect(await blobStore.head(`exports/${failed.id}/part-00001.tar`)).toBeUndefined();
    expect(await blobStore.head(`exports/${failed.id}/manifest.json`)).toBeUndefined();
    await blobStore.put(key, Readable.from([Buffer.from('<project/>\n')]));
  });

  it('refuses unknown processors and since values it cannot use', async () => {
    await expect(service.createExport({ processors: ['nope'] })).rejects.toThrow(InputError);
    await expect(service.createExport({ since: 'yesterday' })).rejects.toThrow(InputError);
    await expect(service.createExport({ since: '2026-01-01' })).rejects.toThrow(InputError);
    await expect(
      service.createExport({ since: '00000000-0000-4000-8000-000000000000' }),
    ).rejects.toThrow(InputError);
    const failed = (await service.listExports({ limit: 50, offset: 0 })).items.find(e => e.status === 'failed')!;
    await expect(service.createExport({ since: failed.id })).rejects.toThrow(ConflictError);
    await expect(service.openPart(failed.id, 1)).rejects.toThrow(ConflictError);
  });

  it('streams files larger than a part through several parts', async () => {
    const big = Buffer.alloc(13 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    await seed('test', 'big', { '1.0.0': { files: [{ path: 'big/big-1.0.0.bin', content: big }] } });
    const bigParts = testExportService({
      stores,
      blobStore,
      processors: ['test'],
      // Above S3's 5 MiB minimum, so each part is a multipart upload.
      partSizeBytes: 6 * 1024 * 1024,
    });
    const created = await bigParts.createExport({ processors: ['test'] });
    await bigParts.drain();
    const record = await bigParts.getExport(created.id);
    expect(record).toMatchObject({ status: 'succeeded' });
    expect(record.parts.map(p => p.size)).toEqual([6 * 1024 * 1024, 6 * 1024 * 1024, expect.any(Number)]);
    const dir = path.join(work, 'big');
    const manifest = await downloadBundle(blobStore, record.id, dir);
    expect(manifest.files.find(f => f.path === 'test/big/1.0.0/big-1.0.0.bin')).toMatchObject({
      size: big.length,
      sha256: sha256(big),
    });
    expect(await runVerify(dir)).toEqual({ code: 0, stdout: `OK: ${manifest.files.length} files, 3 parts\n` });
  });

  it('waits for collections stamped before its cut-off to commit', async () => {
    const settling = testExportService({
      stores,
      blobStore,
      processors: ['test'],
      partSizeBytes: 64 * 1024 * 1024,
      // Far longer than the seeding below takes.
      settleMs: 3000,
    });
    const created = await settling.createExport({ processors: ['test'] });
    // A replica whose clock lags records a file while the build settles.
    await seed('test', 'late', { '1.0.0': { files: [{ path: 'late/late-1.0.0.bin', content: Buffer.from('late') }] } });
    const lateKey = fileStorageKey({ processor: 'test', artifactId: 'late', version: '1.0.0', name: 'late-1.0.0.bin' });
    await knex('artifact_files')
      .where({ storage_key: lateKey })
      .update({ collected_at: new Date(Date.parse(created.createdAt) - 1000).toISOString() });
    await settling.drain();
    const record = await settling.getExport(created.id);
    expect(record.status).toBe('succeeded');
    const manifest = await downloadBundle(blobStore, record.id, path.join(work, 'settled'));
    expect(manifest.files.map(f => f.path)).toContain('test/late/1.0.0/late-1.0.0.bin');
  });
});
