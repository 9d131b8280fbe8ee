import { TestDatabases } from '@backstage/backend-test-utils';
import knexFactory, { Knex } from 'knex';
import { MirrorHarness } from '../__testUtils__/mirrorHarness';
import { startPypiIndex } from '../__testUtils__/pypiIndex';
import { StaticRegistryServer } from '../__testUtils__/staticRegistryServer';
import { MirrorRun } from '../types';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())('DefaultMirrorRunService on %p', databaseId => {
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
    const queued = await a.store.createRun({ trigger: 'manual' });

    // Both replicas start up and pick up what is runnable, at once.
    await Promise.all([a.runs.resumeAbandoned(), b.runs.resumeAbandoned()]);
    await Promise.all([a.runs.drain(), b.runs.drain()]);

    const run = await a.store.getRun(queued.id);
    expect(run).toMatchObject({ status: 'succeeded', counters: { artifacts: 2, versionsSelected: 1 } });
    // One replica walked; the other made no upstream request at all.
    const requests = [a.upstream.counters.requests, b.upstream.counters.requests].sort();
    expect(requests[0]).toBe(0);
    expect(requests[1]).toBeGreaterThan(0);
    expect(index.requestsTo('/pypi/requests/json')).toHaveLength(1);
    const claimedBy = await knex('mirror_runs').where({ id: queued.id }).first('claimed_by');
    expect(['replica-a', 'replica-b']).toContain(claimedBy.claimed_by);
    expect(await b.selectedPairs()).toEqual(['requests@2.31.0']);
  });

  it('fails a run whose replica stopped sending heartbeats instead of running it twice', async () => {
    const run = await a.store.createRun({ trigger: 'manual' });
    expect(await a.store.claimRun(run.id, 'replica-gone')).toBe(true);
    await knex('mirror_runs')
      .where({ id: run.id })
      .update({ heartbeat_at: new Date(Date.now() - 60 * 60_000).toISOString() });

    await Promise.all([a.runs.resumeAbandoned(), b.runs.resumeAbandoned()]);
    await Promise.all([a.runs.drain(), b.runs.drain()]);
    expect(await a.store.getRun(run.id)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/heartbeat/),
    });
    expect(a.upstream.counters.requests + b.upstream.counters.requests).toBe(0);
  });

  it('runs the scheduled run to the end, and stops it when the scheduler aborts the task', async () => {
    await a.addRoot({ processor: 'pypi', id: 'requests', filter: '==2.31.0' });
    await a.runs.runScheduled();
    const [first] = (await a.store.listRuns({ limit: 10, offset: 0 })).items;
    expect(first).toMatchObject({ trigger: 'schedule', status: 'succeeded' });

    await a.runs.runScheduled(AbortSignal.abort());
    const { items } = await a.store.listRuns({ limit: 10, offset: 0 });
    expect(items.filter((run: MirrorRun) => run.id !== first.id)).toEqual([
      expect.objectContaining({
        trigger: 'schedule',
        status: 'failed',
        error: expect.stringMatching(/abort/i),
      }),
    ]);
  });
});
