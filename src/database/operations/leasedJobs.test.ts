import { TestDatabases } from '@backstage/backend-test-utils';
import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import { clearTables, createTestStores, past } from '../__testUtils__/storeFixtures';
import * as leased from './leasedJobs';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

/** Both tables of leased jobs, each with what a new row of it needs. */
const tables: Array<[leased.LeasedJobTable, Record<string, unknown>]> = [
  [{ name: 'mirror_runs', unfinished: ['queued', 'running', 'collecting'] }, { trigger: 'manual' }],
  [{ name: 'exports', unfinished: ['queued', 'running'] }, { kind: 'full' }],
];

const cases = databases
  .eachSupportedId()
  .flatMap(([databaseId]) => tables.map(([table, columns]) => [databaseId, table, columns] as const));

describe.each(cases)('leased jobs on %p in %o', (databaseId, table, columns) => {
  let knex: Knex;

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    await createTestStores(knex);
  });

  afterEach(() => clearTables(knex));

  async function job(row: Record<string, unknown> = {}): Promise<string> {
    const id = randomUUID();
    await knex(table.name).insert({ id, status: 'queued', created_at: new Date().toISOString(), ...columns, ...row });
    return id;
  }
  const read = (id: string) => knex(table.name).where({ id }).first();

  it('lets exactly one worker claim a queued job', async () => {
    const id = await job();
    const claims = await Promise.all(['a', 'b', 'c'].map(worker => leased.claimJob(knex, table, id, worker)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    const row = await read(id);
    expect(row).toMatchObject({ status: 'running', claimed_by: ['a', 'b', 'c'][claims.indexOf(true)] });
    expect(row.started_at).not.toBeNull();
    expect(row.heartbeat_at).not.toBeNull();
    expect(await leased.claimJob(knex, table, id, 'd')).toBe(false);
  });

  it('heartbeats and finishes a job only while it is not finished, and finishes it once', async () => {
    const id = await job();
    await leased.heartbeatJob(knex, table, id);
    expect((await read(id)).heartbeat_at).not.toBeNull();
    await leased.claimJob(knex, table, id, 'a');
    const finishes = await Promise.all([
      leased.finishJob(knex, table, id, { status: 'failed', error: 'first' }),
      leased.finishJob(knex, table, id, { status: 'succeeded' }),
    ]);
    expect(finishes.filter(Boolean)).toHaveLength(1);
    const finished = await read(id);
    expect(finished.finished_at).not.toBeNull();
    await knex(table.name).where({ id }).update({ heartbeat_at: null });
    await leased.heartbeatJob(knex, table, id);
    expect((await read(id)).heartbeat_at).toBeNull();
    // Only from the statuses named.
    const other = await job({ status: 'running' });
    expect(await leased.finishJob(knex, table, other, { status: 'failed', from: ['queued'] })).toBe(false);
    expect(await leased.finishJob(knex, table, other, { status: 'failed', error: 'x', from: ['running'] })).toBe(true);
    expect(await read(other)).toMatchObject({ status: 'failed', error: 'x' });
    // Only by the worker that holds it, when asked so.
    const held = await job({ status: 'running', claimed_by: 'mine' });
    expect(await leased.finishJob(knex, table, held, { status: 'failed', heldBy: 'theirs' })).toBe(false);
    expect(await leased.finishJob(knex, table, held, { status: 'failed', heldBy: 'mine' })).toBe(true);
  });

  it('finds jobs whose holder went quiet or is gone, but not its own', async () => {
    const quiet = await job({ status: 'running', claimed_by: 'q', heartbeat_at: past(10 * 60_000) });
    const live = await job({ status: 'running', claimed_by: 'l', heartbeat_at: new Date().toISOString() });
    const dead = await job({ status: 'running', claimed_by: 'dead', heartbeat_at: new Date().toISOString() });
    const neverBeat = await job({ created_at: past(10 * 60_000) });
    const young = await job();
    const mine = await job({ status: 'running', claimed_by: 'me', heartbeat_at: past(10 * 60_000) });
    const abandoned = await leased.findAbandonedJobs(knex, table, {
      statuses: ['queued', 'running'],
      staleAfterMs: 60_000,
      isDead: worker => worker === 'dead',
      except: 'me',
    });
    expect(abandoned.map(j => j.id).sort()).toEqual([quiet, dead, neverBeat].sort());
    expect(abandoned.find(j => j.id === dead)).toMatchObject({ holderDead: true, claimedBy: 'dead' });
    expect(abandoned.find(j => j.id === neverBeat)).toMatchObject({ holderDead: false, claimedBy: undefined });
    expect([live, young, mine].some(id => abandoned.some(j => j.id === id))).toBe(false);
  });

  it('lets exactly one replica take an abandoned job, and none one that came back to life', async () => {
    const quiet = await job({ status: 'running', claimed_by: 'q', heartbeat_at: past(10 * 60_000) });
    const [found] = await leased.findAbandonedJobs(knex, table, { statuses: ['running'], staleAfterMs: 60_000 });
    const takes = await Promise.all(
      ['a', 'b'].map(worker =>
        leased.takeAbandonedJob(knex, table, found, 60_000, { claimed_by: worker, heartbeat_at: new Date().toISOString() }),
      ),
    );
    expect(takes.filter(Boolean)).toHaveLength(1);
    expect(['a', 'b']).toContain((await read(quiet)).claimed_by);

    const revived = await job({ status: 'running', claimed_by: 'r', heartbeat_at: past(10 * 60_000) });
    const [again] = await leased.findAbandonedJobs(knex, table, { statuses: ['running'], staleAfterMs: 60_000 });
    expect(again.id).toBe(revived);
    await leased.heartbeatJob(knex, table, revived);
    expect(await leased.takeAbandonedJob(knex, table, again, 60_000, { claimed_by: 'c' })).toBe(false);
    expect((await read(revived)).claimed_by).toBe('r');
  });

  it('fails abandoned jobs once, whatever the number of replicas that try', async () => {
    const quiet = await job({ status: 'running', claimed_by: 'q', heartbeat_at: past(10 * 60_000) });
    const live = await job({ status: 'running', claimed_by: 'l', heartbeat_at: new Date().toISOString() });
    const options = { statuses: ['running'], staleAfterMs: 60_000, error: 'gone' };
    const [a, b] = await Promise.all([leased.failAbandonedJobs(knex, table, options), leased.failAbandonedJobs(knex, table, options)]);
    expect([...a, ...b]).toEqual([quiet]);
    expect(await read(quiet)).toMatchObject({ status: 'failed', error: 'gone' });
    expect(await read(live)).toMatchObject({ status: 'running' });
  });

  it('hands a stopping worker’s jobs over at once', async () => {
    const held = await job({ status: 'running', claimed_by: 'stopping', heartbeat_at: new Date().toISOString() });
    const other = await job({ status: 'running', claimed_by: 'staying', heartbeat_at: new Date().toISOString() });
    const find = () => leased.findAbandonedJobs(knex, table, { statuses: ['running'], staleAfterMs: 60_000 });
    expect(await find()).toEqual([]);
    expect(await leased.releaseJobs(knex, table, 'stopping', ['running'])).toBe(1);
    expect((await find()).map(j => j.id)).toEqual([held]);
    expect((await read(other)).claimed_by).toBe('staying');
  });
});
