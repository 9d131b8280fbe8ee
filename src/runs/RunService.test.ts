import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import knexFactory, { Knex } from 'knex';
import { MirrorHarness } from '../__testUtils__/mirrorHarness';
import { startPypiIndex } from '../__testUtils__/pypiIndex';
import { StaticRegistryServer } from '../__testUtils__/staticRegistryServer';
import { RunStore } from '../database/RunStore';
import { MirrorRun } from '../types';
import { MirrorRunExecutor, RunService } from './RunService';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())('RunService on %p', databaseId => {
  let index: StaticRegistryServer;
  let knex: Knex;
  let secondKnex: Knex | undefined;
  let a: MirrorHarness;
  let b: MirrorHarness;

  beforeAll(async () => {
    index = await startPypiIndex();
  });

  afterAll(async () => {
    await index.close();
  });

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    // Two replicas: on PostgreSQL each with its own connection pool; an
    // in-memory SQLite database exists only within its one connection.
    secondKnex = databaseId === 'SQLITE_3' ? undefined : knexFactory(knex.client.config);
    a = await MirrorHarness.create(knex, { pypi: index.url }, { workerId: 'replica-a' });
    b = await MirrorHarness.create(secondKnex ?? knex, { pypi: index.url }, {
      workerId: 'replica-b',
      skipMigrations: true,
    });
    index.requests.length = 0;
  });

  afterEach(async () => {
    await a.close();
    await b.close();
    await secondKnex?.destroy();
  });

  it('executes a queued run on exactly one of two replicas', async () => {
    await a.addRoot({ processor: 'pypi', id: 'requests', filter: '==2.31.0' });
    // A run left queued, e.g. by POST /runs on a replica that then stopped.
    const queued = await a.stores.runs.createRun({ trigger: 'manual' });

    // Both replicas start up and pick up what is runnable, at once.
    await Promise.all([a.runs.resumeAbandoned(), b.runs.resumeAbandoned()]);
    await Promise.all([a.runs.drain(), b.runs.drain()]);

    // Walked: it waits for its files, which nothing collects yet.
    const run = await a.stores.runs.getRun(queued.id);
    expect(run).toMatchObject({ status: 'collecting', counters: { artifacts: 2, versionsSelected: 1 } });
    expect(run!.counters.filesQueued).toBeGreaterThan(0);
    // One replica walked; the other made no upstream request at all.
    const requests = [a.upstream.counters.requests, b.upstream.counters.requests].sort();
    expect(requests[0]).toBe(0);
    expect(requests[1]).toBeGreaterThan(0);
    expect(index.requestsTo('/pypi/requests/json')).toHaveLength(1);
    const claimedBy = await knex('mirror_runs').where({ id: queued.id }).first('claimed_by');
    expect(['replica-a', 'replica-b']).toContain(claimedBy.claimed_by);
    expect(await b.selectedPairs()).toEqual(['requests@2.31.0']);

    // Once its files are collected, the run succeeded.
    await Promise.all([a.startCollecting(), b.startCollecting()]);
    expect(await a.settled(queued.id)).toMatchObject({
      status: 'succeeded',
      finishedAt: expect.any(String),
      counters: { filesCollected: run!.counters.filesQueued, filesParked: 0 },
    });
  });

  it('takes over a collecting run whose replica went away, and settles it rather than failing it', async () => {
    await a.addRoot({ processor: 'pypi', id: 'requests', filter: '==2.31.0' });
    const started = await a.runs.startRun({ trigger: 'manual' });
    await a.runs.drain();
    expect(await a.stores.runs.getRun(started.id)).toMatchObject({ status: 'collecting' });
    // Replica a goes away with its watcher and its in-process jobs; its
    // heartbeats stop.
    await a.watcher.stop();
    await knex('mirror_runs')
      .where({ id: started.id })
      .update({ heartbeat_at: new Date(Date.now() - 60 * 60_000).toISOString() });

    // Replica b sweeps the lost jobs into its queue and its watcher takes
    // the run over.
    await b.startCollecting();
    await b.collector.sweep({ requeueAfterMs: 0 });
    await b.watcher.check();
    const settled = await b.settled(started.id);
    expect(settled).toMatchObject({ status: 'succeeded', counters: { filesParked: 0 } });
    expect(settled.counters.filesCollected).toBe(settled.counters.filesQueued);
    const claimedBy = await knex('mirror_runs').where({ id: started.id }).first('claimed_by');
    expect(claimedBy.claimed_by).toBe('replica-b');
  });

  it('fails a run whose replica stopped sending heartbeats instead of running it twice', async () => {
    const run = await a.stores.runs.createRun({ trigger: 'manual' });
    expect(await a.stores.runs.claimRun(run.id, 'replica-gone')).toBe(true);
    await knex('mirror_runs')
      .where({ id: run.id })
      .update({ heartbeat_at: new Date(Date.now() - 60 * 60_000).toISOString() });

    await Promise.all([a.runs.resumeAbandoned(), b.runs.resumeAbandoned()]);
    await Promise.all([a.runs.drain(), b.runs.drain()]);
    expect(await a.stores.runs.getRun(run.id)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/heartbeat/),
    });
    expect(a.upstream.counters.requests + b.upstream.counters.requests).toBe(0);
  });

  it('records the failure of a walk that threw, and leaves a run it could not claim queued', async () => {
    const logger = mockServices.logger.mock();
    const broken: MirrorRunExecutor = { execute: () => Promise.reject(new Error('walk broke')) };
    const service = new RunService({ stores: a.stores, executor: broken, logger, workerId: 'replica-c' });
    const thrown = await service.startRun({ trigger: 'manual' });
    await service.drain();
    expect(await a.stores.runs.getRun(thrown.id)).toMatchObject({ status: 'failed', error: 'walk broke' });

    // The claim itself fails (the connection dropped): the run is not this
    // replica's to fail, and stays queued for the next one to resume.
    const runs: RunStore = Object.create(a.stores.runs);
    runs.claimRun = () => Promise.reject(new Error('connection lost'));
    const unlucky = new RunService({ stores: { runs }, executor: broken, logger, workerId: 'replica-d' });
    const queued = await unlucky.startRun({ trigger: 'manual' });
    await unlucky.drain();
    expect(await a.stores.runs.getRun(queued.id)).toMatchObject({ status: 'queued' });
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining(`Mirror run ${queued.id} failed: Error: connection lost`));
  });

  it('runs the scheduled run to the end, and stops it when the scheduler aborts the task', async () => {
    await a.addRoot({ processor: 'pypi', id: 'requests', filter: '==2.31.0' });
    await a.startCollecting();
    await a.runs.runScheduled();
    const [walked] = (await a.stores.runs.listRuns({ limit: 10, offset: 0 })).items;
    expect(walked).toMatchObject({ trigger: 'schedule' });
    const first = await a.settled(walked.id);
    expect(first).toMatchObject({ trigger: 'schedule', status: 'succeeded' });

    await a.runs.runScheduled(AbortSignal.abort());
    const { items } = await a.stores.runs.listRuns({ limit: 10, offset: 0 });
    expect(items.filter((run: MirrorRun) => run.id !== first.id)).toEqual([
      expect.objectContaining({
        trigger: 'schedule',
        status: 'failed',
        error: expect.stringMatching(/abort/i),
      }),
    ]);
  });
});
