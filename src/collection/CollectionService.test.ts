import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { NotFoundError } from '@backstage/errors';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  createFixtureProcessor,
  FileServer,
  FixtureFile,
} from '../__testUtils__/fixtureUpstream';
import { MirrorHarness } from '../__testUtils__/mirrorHarness';
import { waitFor } from '../__testUtils__/waitFor';
import { LocalDirectoryBlobStore } from '../storage/LocalDirectoryBlobStore';
import { CollectionService } from './CollectionService';

// The collection service over the real store, collector and in-process
// queue on both databases, against a file server whose answers each test
// sets; its routes are tested apart (routes/collectionRoutes.test.ts).

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('CollectionService on %p', databaseId => {
  const files = new FileServer();
  const packages = new Map<string, FixtureFile[]>();
  const logger = mockServices.logger.mock();
  let harness: MirrorHarness;
  let blobDirectory: string;
  let blobStore: LocalDirectoryBlobStore;
  let service: CollectionService;

  /** Adds a root whose files answer as declared, and runs until collection settled. */
  async function mirror(id: string, declared: FixtureFile[]) {
    packages.set(id, declared);
    for (const file of declared) files.behaviours.set(`/files/${id}/${file.name}`, file.behaviour);
    await harness.addRoot({ processor: 'fixture', id });
    return harness.run({ scope: { processor: 'fixture', id }, trigger: 'artifact' }, { allow: ['succeeded', 'partial'] });
  }

  const statuses = async (id: string) => {
    const artifact = (await harness.stores.artifacts.getArtifact('fixture', id))!;
    const page = await harness.stores.versions.listFiles(artifact.ref, '1.0.0', { limit: 50, offset: 0 });
    return Object.fromEntries(page!.items.map(f => [f.name, [f.status, f.errorKind]]));
  };

  /**
   * Waits until every file of the artifacts is collected or parked: a file
   * waiting for its next attempt is `failed`, which counts as not yet.
   */
  const settled = (...ids: string[]) =>
    waitFor(`the files of ${ids.join(', ')} to settle`, async () => {
      for (const id of ids) {
        const settledStatuses = Object.values(await statuses(id)).every(([status]) =>
          ['collected', 'parked'].includes(status as string),
        );
        if (!settledStatuses) return false;
      }
      return true;
    });

  beforeAll(async () => {
    await files.start();
  });

  afterAll(async () => {
    await files.close();
  });

  beforeEach(async () => {
    harness = await MirrorHarness.create(await databases.init(databaseId), {}, {
      processors: [createFixtureProcessor(files, packages)],
    });
    await harness.startCollecting();
    blobDirectory = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-collection-service-'));
    blobStore = new LocalDirectoryBlobStore({ directory: blobDirectory });
    service = new CollectionService({
      stores: harness.stores,
      collector: harness.collector,
      queue: harness.queue,
      blobStore,
      logger,
      requeueAfterMs: 0,
    });
  });

  afterEach(async () => {
    await harness.close();
    await fs.rm(blobDirectory, { recursive: true, force: true });
  });

  it("queues an artifact's parked files again with their attempts reset", async () => {
    const run = await mirror('troubles', [
      { name: 'good.tgz', behaviour: 'ok' },
      { name: 'broken.tgz', behaviour: 'fail-always' },
      { name: 'gone.tgz', behaviour: 'missing' },
    ]);
    expect(run).toMatchObject({ status: 'partial', counters: { filesParked: 2 } });
    expect(await statuses('troubles')).toEqual({
      'good.tgz': ['collected', undefined],
      'broken.tgz': ['parked', 'transient'],
      'gone.tgz': ['parked', 'permanent'],
    });

    // The upstream has them now.
    files.behaviours.set('/files/troubles/broken.tgz', 'ok');
    files.behaviours.set('/files/troubles/gone.tgz', 'ok');
    expect(await service.retry('fixture', 'troubles')).toBe(2);
    await settled('troubles');
    expect(await statuses('troubles')).toEqual({
      'good.tgz': ['collected', undefined],
      'broken.tgz': ['collected', undefined],
      'gone.tgz': ['collected', undefined],
    });
    // Nothing failed: nothing to queue.
    expect(await service.retry('fixture', 'troubles')).toBe(0);
    await expect(service.retry('fixture', 'nope')).rejects.toThrow(NotFoundError);
  });

  it('queues every parked file in a scope: by artifact, by error kind, by permission filter', async () => {
    await mirror('first', [{ name: 'a.tgz', behaviour: 'missing' }]);
    await mirror('second', [
      { name: 'b.tgz', behaviour: 'fail-always' },
      { name: 'c.tgz', behaviour: 'missing' },
    ]);
    // Still failing upstream: each retry parks them again, as they were.
    expect(await service.retryAll({ filter: { key: 'root', value: false } })).toBe(0);
    expect(await service.retryAll({ errorKind: 'transient' })).toBe(1);
    await settled('first', 'second');
    expect(await service.retryAll({ processor: 'fixture', id: 'first' })).toBe(1);
    await settled('first', 'second');
    expect(await service.retryAll({})).toBe(3);
    await settled('first', 'second');
    expect(await statuses('second')).toEqual({
      'b.tgz': ['parked', 'transient'],
      'c.tgz': ['parked', 'permanent'],
    });
  });

  it('counts files and bytes in a scope, with the queue depth only for everything', async () => {
    await mirror('counted', [
      { name: 'x.tgz', behaviour: 'ok' },
      { name: 'y.tgz', behaviour: 'missing' },
    ]);
    const all = await service.stats();
    expect(all.byProcessor).toEqual([
      { processor: 'fixture', status: 'collected', files: 1, bytes: expect.any(Number) },
      { processor: 'fixture', status: 'parked', files: 1, bytes: expect.any(Number) },
    ]);
    expect(all.queue).toEqual({ ready: 0, inFlight: 0, delayed: 0, parked: 1 });

    const none = await service.stats({ type: 'some', filter: { key: 'root', value: false } });
    expect(none).toEqual({ byProcessor: [] });

    // The counts are worth reporting while the queue cannot be reached.
    const broken = new CollectionService({
      stores: harness.stores,
      collector: harness.collector,
      queue: { ...harness.queue, depth: () => Promise.reject(new Error('broker down')) } as any,
      blobStore,
      logger,
      requeueAfterMs: 0,
    });
    const withoutQueue = await broken.stats();
    expect(withoutQueue.queue).toBeNull();
    expect(withoutQueue.byProcessor).toEqual(all.byProcessor);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('broker down'));
  });

  it('deletes only the objects no file references', async () => {
    await mirror('kept', [{ name: 'k.tgz', behaviour: 'ok' }]);
    const artifact = (await harness.stores.artifacts.getArtifact('fixture', 'kept'))!;
    const [referenced] = (await harness.stores.versions.listFiles(artifact.ref, '1.0.0', { limit: 1, offset: 0 }))!.items;
    const orphan = 'files/fixture/gone/1.0.0/gone.tgz';
    for (const key of [referenced.storageKey, orphan]) {
      await blobStore.put(key, Readable.from([Buffer.from(key)]));
    }
    expect(await service.purgeObjects([referenced.storageKey, orphan])).toBe(1);
    expect(await blobStore.head(referenced.storageKey)).toBeDefined();
    expect(await blobStore.head(orphan)).toBeUndefined();
  });
});
