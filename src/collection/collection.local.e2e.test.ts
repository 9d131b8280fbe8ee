import knexFactory, { Knex } from 'knex';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { byName, filesOf, waitForCollectedRun } from '../__testUtils__/api';
import { BackpackBackend, startBackpackBackend } from '../__testUtils__/backpackBackend';
import { contentOf, FixtureFile, FixtureUpstream } from '../__testUtils__/fixtureUpstream';
import { waitFor } from '../__testUtils__/waitFor';

// Acceptance tests of collection (issue 4) with the in-process queue and a
// local directory: bad bytes leave nothing behind, and a restart mid-run
// completes the collection (RabbitMQ and S3: collection.rabbitmq.e2e.test.ts).

const RETRY_DELAYS_MS = [50, 100];
const MAX_ATTEMPTS = 3;

describe('collection with the in-process queue and a local directory', () => {
  const upstream = new FixtureUpstream();
  const { files } = upstream;
  let workDir: string;
  let storageDir: string;
  let knex: Knex;
  let backend: BackpackBackend | undefined;

  const openDatabase = () =>
    knexFactory({
      client: 'better-sqlite3',
      connection: { filename: path.join(workDir, 'backpack.sqlite') },
      useNullAsDefault: true,
    });

  const start = () =>
    startBackpackBackend({
      knex,
      storageDir,
      manualScheduler: true,
      processors: [upstream.processor],
      backpack: { queue: { maxAttempts: MAX_ATTEMPTS, retryDelaysMs: RETRY_DELAYS_MS } },
    });

  const addFixture = (id: string, declared: FixtureFile[]) => upstream.add(backend!.server, id, declared);

  beforeAll(async () => {
    await files.start();
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-collection-'));
    storageDir = path.join(workDir, 'storage');
    knex = openDatabase();
    backend = await start();
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await files.close();
    await fs.rm(workDir, { recursive: true, force: true });
  });

  it('stores verified files and nothing for a flipped byte', async () => {
    const runId = await addFixture('local', [
      { name: 'good.tgz', behaviour: 'ok' },
      { name: 'flipped.tgz', behaviour: 'flip' },
    ]);
    const run = await waitForCollectedRun(backend!.server, runId);
    expect(run).toMatchObject({ status: 'partial', counters: { filesParked: 1 } });
    expect(run.counters).toMatchObject({ filesQueued: 2, filesCollected: 1, filesFailed: 1 });

    const result = byName(await filesOf(backend!.server, 'fixture', 'local'));
    expect(result['good.tgz']).toMatchObject({ status: 'collected', attempts: 1 });
    expect(await fs.readFile(path.join(storageDir, result['good.tgz'].storageKey))).toEqual(
      contentOf('local', 'good.tgz'),
    );
    expect(result['flipped.tgz']).toMatchObject({
      status: 'parked',
      attempts: MAX_ATTEMPTS,
      error: expect.stringMatching(/integrity|digest/i),
    });
    await expect(
      fs.access(path.join(storageDir, result['flipped.tgz'].storageKey)),
    ).rejects.toThrow();
    // No partial body is left behind either.
    const temp = await fs.readdir(path.join(storageDir, '.backpack-tmp')).catch(() => []);
    expect(temp).toEqual([]);
  });

  it('completes collection after a restart mid-run', async () => {
    const declared: FixtureFile[] = [
      { name: 'a.tgz', behaviour: 'ok' },
      { name: 'b.tgz', behaviour: 'ok' },
      { name: 'stuck-1.tgz', behaviour: 'stall' },
      { name: 'stuck-2.tgz', behaviour: 'stall' },
    ];
    const runId = await addFixture('restart', declared);
    await waitFor('the stalled downloads to start', async () => {
      const started =
        files.count('restart', 'stuck-1.tgz') + files.count('restart', 'stuck-2.tgz');
      const collected = (await filesOf(backend!.server, 'fixture', 'restart')).filter(
        f => f.collected,
      ).length;
      return started === 2 && collected === 2 ? true : undefined;
    });

    // The upstream recovers, but the downloads in flight stay stalled; the
    // backend stops under them.
    files.behaviours.set('/files/restart/stuck-1.tgz', 'ok');
    files.behaviours.set('/files/restart/stuck-2.tgz', 'ok');
    await backend!.stop();
    backend = undefined;
    await knex.destroy();

    knex = openDatabase();
    backend = await start();
    const run = await waitForCollectedRun(backend.server, runId);
    // Taken over by the restarted backend and settled, not failed.
    expect(run.status).toBe('succeeded');
    expect(run.counters).toMatchObject({ filesQueued: 4, filesCollected: 4, filesFailed: 0 });
    const result = byName(await filesOf(backend.server, 'fixture', 'restart'));
    for (const name of ['stuck-1.tgz', 'stuck-2.tgz']) {
      // The interrupted download is not counted as an attempt.
      expect(result[name]).toMatchObject({ status: 'collected', attempts: 1 });
      expect(files.count('restart', name)).toBe(2);
      expect(await fs.readFile(path.join(storageDir, result[name].storageKey))).toEqual(
        contentOf('restart', name),
      );
    }
  });
});
