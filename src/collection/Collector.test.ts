import { TestDatabases } from '@backstage/backend-test-utils';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createBackpackStores } from '../database/createBackpackStores';
import { LocalDirectoryBlobStore } from '../storage/LocalDirectoryBlobStore';
import { UNVERIFIED_FILE_ERROR } from './fileAdmission';
import { InProcessJobQueue } from './queue/InProcessJobQueue';
import { SafeFetcher } from '../upstream/SafeFetcher';
import { selectedArtifact, testCollector } from './__testUtils__/collectorFixtures';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const BODY = Buffer.from('the bytes of pkg-1.0.0.tgz\n');
const SHA512 = createHash('sha512').update(BODY).digest('hex');
const SHA256 = createHash('sha256').update(BODY).digest('hex');

describe('Collector', () => {
  let server: http.Server;
  let baseUrl: string;
  let requests: number;
  let dir: string;

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      requests += 1;
      res.end(BODY);
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise(resolve => server.close(resolve));
  });

  beforeEach(async () => {
    requests = 0;
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-collector-'));
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function setUp() {
    const knex = await databases.init('SQLITE_3');
    const stores = await createBackpackStores({
      database: { getClient: async () => knex },
    });
    const { files } = await selectedArtifact(stores, 'pkg', [
      {
        name: 'pkg-1.0.0.tgz',
        uri: `${baseUrl}/pkg/-/pkg-1.0.0.tgz`,
        path: 'pkg/-/pkg-1.0.0.tgz',
        integrity: { algorithm: 'sha512', digest: SHA512 },
      },
    ]);
    const blobStore = new LocalDirectoryBlobStore({ directory: dir });
    const queue = new InProcessJobQueue({ concurrency: 1 });
    const fetcher = new SafeFetcher({ allowedHosts: [new URL(baseUrl).host] });
    const collector = testCollector({ stores, blobStore, queue, fetcher });
    return { knex, stores, blobStore, collector, file: files['pkg-1.0.0.tgz'], fetcher, queue };
  }

  it('collects a file, verified, and records its sha256', async () => {
    const { stores, blobStore, collector, file, fetcher, queue } = await setUp();
    await expect(
      collector.handle({ fileRef: file.ref, key: `file-${file.ref}`, attempt: 1 }),
    ).resolves.toBe('done');
    expect(requests).toBe(1);
    expect(await stores.files.getFile(file.ref)).toMatchObject({ collected: true, size: BODY.length });
    const stored = await blobStore.head(file.storageKey);
    expect(stored?.metadata.integrity).toBe(`sha512-${SHA512}`);

    // A second delivery of the same job does nothing.
    await expect(
      collector.handle({ fileRef: file.ref, key: `file-${file.ref}`, attempt: 1 }),
    ).resolves.toBe('done');
    expect(requests).toBe(1);
    await fetcher.close();
    await queue.stop();
  });

  it('asks the blob store for what a key holds only when a collector claimed the file before', async () => {
    const { stores, blobStore, file, fetcher, queue } = await setUp();
    const heads: string[] = [];
    const counting = Object.assign(Object.create(blobStore), {
      head: (key: string) => {
        heads.push(key);
        return blobStore.head(key);
      },
    });
    const collector = testCollector({ stores, blobStore: counting, queue, fetcher });
    await expect(collector.handle({ fileRef: file.ref, key: `file-${file.ref}`, attempt: 1 })).resolves.toBe('done');
    expect(requests).toBe(1);
    expect(heads).toEqual([]);
    expect(await stores.files.getFile(file.ref)).toMatchObject({ collected: true, claimedBefore: true });
    await fetcher.close();
    await queue.stop();
  });

  it('records bytes already stored under the key without downloading them again', async () => {
    const { knex, stores, blobStore, collector, file, fetcher, queue } = await setUp();
    // As if a replica crashed after its upload and before recording it:
    // it had claimed the file, and its lease ran out.
    expect(await stores.files.claimFile(file.ref, 'crashed-replica', 60_000)).toBe(true);
    await knex('artifact_files').where({ ref: file.ref }).update({ locked_by: null, locked_until: null });
    await blobStore.put(file.storageKey, Readable.from([BODY]), {
      metadata: { integrity: `sha512-${SHA512}` },
    });
    await expect(
      collector.handle({ fileRef: file.ref, key: `file-${file.ref}`, attempt: 1 }),
    ).resolves.toBe('done');
    expect(requests).toBe(0);
    const [collected] = (await stores.versions.listFiles(file.artifactRef, '1.0.0', {
      limit: 10,
      offset: 0,
    }))!.items;
    expect(collected).toMatchObject({ collected: true, size: BODY.length });
    const row = await stores.files.getFile(file.ref);
    expect(row?.collected).toBe(true);
    // The recorded digest is the sha256 of the stored bytes.
    const knexRow = await knex('artifact_files').where({ ref: file.ref }).first();
    expect(knexRow.collected_digest).toBe(SHA256);
    await fetcher.close();
    await queue.stop();
  });

  it('downloads a content-addressed object once, whoever lists it, and replaces stored bytes that are not its own', async () => {
    const { knex, stores, blobStore, collector, fetcher, queue } = await setUp();
    const object = {
      name: `blob:sha256:${SHA256}`,
      uri: `${baseUrl}/v2/app/blobs/sha256:${SHA256}`,
      path: `blobs/sha256/${SHA256}`,
      integrity: { algorithm: 'sha256' as const, digest: SHA256 },
      contentAddressed: true,
    };
    const collect = async (id: string) => {
      const { files } = await selectedArtifact(stores, id, [object]);
      const file = files[object.name];
      await collector.handle({ fileRef: file.ref, key: `file-${file.ref}`, attempt: 1 });
      return stores.files.getFile(file.ref);
    };
    const first = await collect('one');
    expect(first).toMatchObject({ collected: true, storageKey: `blobs/sha256/${SHA256}` });
    // Another image lists the same layer: its bytes are proven, not fetched.
    expect(await collect('two')).toMatchObject({ collected: true, storageKey: first!.storageKey });
    expect(requests).toBe(1);
    // Bytes under the key that are not the digest's are downloaded again.
    await blobStore.put(first!.storageKey, Readable.from([Buffer.from('tampered')]), {
      metadata: { integrity: `sha256-${SHA256}` },
    });
    expect(await collect('three')).toMatchObject({ collected: true });
    expect(requests).toBe(2);
    expect(await knex('artifact_files').distinct('storage_key').whereNot('name', 'pkg-1.0.0.tgz')).toHaveLength(1);
    await fetcher.close();
    await queue.stop();
  });

  it('parks a file whose name is refused, or that has no digest, before any request', async () => {
    const { knex, stores, collector, file, fetcher, queue } = await setUp();
    const job = { fileRef: file.ref, key: `file-${file.ref}`, attempt: 1 };
    // A row recorded before names were checked.
    await knex('artifact_files').where({ ref: file.ref }).update({ name: 'pkg.tgz/x.tgz' });
    await expect(collector.handle(job)).resolves.toBe('park');
    expect(await stores.files.getFile(file.ref)).toMatchObject({
      status: 'parked',
      error: expect.stringMatching(/^Refused: file name "pkg.tgz\/x.tgz" contains '\/'/),
    });

    await knex('artifact_files').where({ ref: file.ref }).update({
      name: 'pkg-1.0.0.tgz',
      status: 'queued',
      integrity_algorithm: null,
      integrity_digest: null,
      verified: false,
    });
    await expect(collector.handle(job)).resolves.toBe('park');
    expect(await stores.files.getFile(file.ref)).toMatchObject({ status: 'parked', error: UNVERIFIED_FILE_ERROR });
    expect(requests).toBe(0);

    // Where unverified files are allowed, it is collected and stays marked.
    await knex('artifact_files').where({ ref: file.ref }).update({ status: 'queued' });
    const allowing = testCollector({
      stores,
      blobStore: new LocalDirectoryBlobStore({ directory: dir }),
      queue,
      fetcher,
      unverifiedFiles: 'allow',
    });
    await expect(allowing.handle(job)).resolves.toBe('done');
    expect(requests).toBe(1);
    expect(await stores.files.getFile(file.ref)).toMatchObject({ collected: true, verified: false });
    await fetcher.close();
    await queue.stop();
  });
});
