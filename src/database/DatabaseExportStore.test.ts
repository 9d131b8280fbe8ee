import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { DatabaseBackpackStore } from './DatabaseBackpackStore';
import { DatabaseExportStore } from './DatabaseExportStore';
import { migrationsDirectory } from './migrationsDirectory';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('DatabaseExportStore on %p', databaseId => {
  let knex: Knex;
  let store: DatabaseExportStore;

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    await DatabaseBackpackStore.create({ database: { getClient: async () => knex } });
    store = DatabaseExportStore.create(knex);
  });

  afterEach(async () => {
    await knex('exports').delete();
  });

  it('lets exactly one replica claim an export and records its outcome', async () => {
    const created = await store.createExport({
      kind: 'delta',
      sinceExportId: '11111111-1111-4111-8111-111111111111',
      sinceTime: '2026-11-20T10:00:00.000Z',
      processors: ['npm', 'pypi'],
      requestedBy: 'user:default/jane',
    });
    expect(created).toMatchObject({
      status: 'queued',
      kind: 'delta',
      since: { exportId: '11111111-1111-4111-8111-111111111111', time: '2026-11-20T10:00:00.000Z' },
      processors: ['npm', 'pypi'],
      requestedBy: 'user:default/jane',
      parts: [],
      files: 0,
      totalBytes: 0,
    });

    const claims = await Promise.all([
      store.claimExport(created.id, 'a'),
      store.claimExport(created.id, 'b'),
    ]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.getExport(created.id)).toMatchObject({ status: 'running', startedAt: expect.any(String) });

    const parts = [{ name: 'part-00001.tar', size: 3_000_000_000, sha256: 'ab'.repeat(32) }];
    await store.finishExport(created.id, {
      status: 'succeeded',
      cutoff: '2026-11-21T10:00:00.123Z',
      manifestKey: `exports/${created.id}/manifest.json`,
      seal: 'cd'.repeat(32),
      parts,
      files: 12,
      totalBytes: 3_000_000_000,
    });
    expect(await store.getExport(created.id)).toMatchObject({
      status: 'succeeded',
      cutoff: '2026-11-21T10:00:00.123Z',
      manifestKey: `exports/${created.id}/manifest.json`,
      seal: 'cd'.repeat(32),
      parts,
      files: 12,
      totalBytes: 3_000_000_000,
      finishedAt: expect.any(String),
    });
  });

  it('fails exports abandoned by their replica, and only those', async () => {
    const running = await store.createExport({ kind: 'full' });
    const fresh = await store.createExport({ kind: 'full' });
    const queued = await store.createExport({ kind: 'full' });
    await store.claimExport(running.id, 'gone');
    await store.claimExport(fresh.id, 'alive');
    const longAgo = new Date(Date.now() - 60 * 60_000).toISOString();
    await knex('exports').where({ id: running.id }).update({ heartbeat_at: longAgo });
    await knex('exports').where({ id: queued.id }).update({ created_at: longAgo });

    expect((await store.failAbandonedExports(5 * 60_000)).sort()).toEqual([running.id, queued.id].sort());
    expect(await store.getExport(running.id)).toMatchObject({ status: 'failed', error: expect.stringContaining('stopped') });
    expect(await store.getExport(queued.id)).toMatchObject({ status: 'failed' });
    expect(await store.getExport(fresh.id)).toMatchObject({ status: 'running' });
    await store.heartbeatExport(fresh.id);
    expect(await store.failAbandonedExports(5 * 60_000)).toEqual([]);
  });

  it('lists exports newest first, with the total', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await store.createExport({ kind: 'full' });
      await knex('exports')
        .where({ id: created.id })
        .update({ created_at: new Date(Date.UTC(2026, 10, 21, 10, i)).toISOString() });
      ids.push(created.id);
    }
    const page = await store.listExports({ limit: 2, offset: 0 });
    expect(page.total).toBe(3);
    expect(page.items.map(e => e.id)).toEqual([ids[2], ids[1]]);
    expect((await store.listExports({ limit: 2, offset: 2 })).items.map(e => e.id)).toEqual([ids[0]]);
  });

  it('migrates down and up again', async () => {
    await knex.migrate.rollback({ directory: migrationsDirectory() }, true);
    expect(await knex.schema.hasTable('exports')).toBe(false);
    await knex.migrate.latest({ directory: migrationsDirectory() });
    expect(await knex.schema.hasTable('exports')).toBe(true);
  });
});
