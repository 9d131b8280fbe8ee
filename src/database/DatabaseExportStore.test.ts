import { ArtifactScope } from './artifactScope';
import { ExportOutcome, ExportStore } from './ExportStore';
import { describeOnEachDatabase, rootArtifact } from './__testUtils__/storeFixtures';

jest.setTimeout(60_000);

/** The outcome of a build that sealed an empty bundle now. */
const emptyBundle = (): ExportOutcome => ({
  status: 'succeeded',
  cutoff: new Date().toISOString(),
  manifestKey: 'm',
  seal: 's',
  parts: [],
  files: 0,
  totalBytes: 0,
});

describeOnEachDatabase('DatabaseExportStore', db => {
  let store: ExportStore;

  beforeAll(() => {
    store = db.stores.exports;
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

    const outcome: ExportOutcome = {
      status: 'succeeded',
      cutoff: '2026-11-21T10:00:00.123Z',
      manifestKey: `exports/${created.id}/manifest.json`,
      seal: 'cd'.repeat(32),
      parts: [{ name: 'part-00001.tar', size: 3_000_000_000, sha256: 'ab'.repeat(32) }],
      files: 12,
      totalBytes: 3_000_000_000,
    };
    await store.finishExport(created.id, outcome);
    expect(await store.getExport(created.id)).toMatchObject({ ...outcome, finishedAt: expect.any(String) });
  });

  it('records an outcome once: an export failed as abandoned stays failed', async () => {
    const created = await store.createExport({ kind: 'full' });
    await store.claimExport(created.id, 'slow');
    await db.knex('exports').where({ id: created.id }).update({ heartbeat_at: new Date(0).toISOString() });
    expect(await store.failAbandonedExports(5 * 60_000)).toEqual([created.id]);
    // The replica was slow, not gone: its late success does not revive it.
    await store.finishExport(created.id, emptyBundle());
    expect(await store.getExport(created.id)).toMatchObject({ status: 'failed', seal: undefined });
  });

  it('fails exports abandoned by their replica, and only those', async () => {
    const running = await store.createExport({ kind: 'full' });
    const fresh = await store.createExport({ kind: 'full' });
    const queued = await store.createExport({ kind: 'full' });
    await store.claimExport(running.id, 'gone');
    await store.claimExport(fresh.id, 'alive');
    const longAgo = new Date(Date.now() - 60 * 60_000).toISOString();
    await db.knex('exports').where({ id: running.id }).update({ heartbeat_at: longAgo });
    await db.knex('exports').where({ id: queued.id }).update({ created_at: longAgo });

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
      await db.knex('exports')
        .where({ id: created.id })
        .update({ created_at: new Date(Date.UTC(2026, 10, 21, 10, i)).toISOString() });
      ids.push(created.id);
    }
    const page = await store.listExports({ limit: 2, offset: 0 });
    expect(page.total).toBe(3);
    expect(page.items.map(e => e.id)).toEqual([ids[2], ids[1]]);
    expect((await store.listExports({ limit: 2, offset: 2 })).items.map(e => e.id)).toEqual([ids[0]]);

    // Created at the same instant as the newest: ties go by id, descending, on later pages too.
    const tie = await store.createExport({ kind: 'full' });
    await db.knex('exports')
      .where({ id: tie.id })
      .update({ created_at: new Date(Date.UTC(2026, 10, 21, 10, 2)).toISOString() });
    const newest = [tie.id, ids[2]].sort().reverse();
    const order = [...newest, ids[1], ids[0]];
    for (const offset of [1, 2, 3]) {
      const later = await store.listExports({ limit: 2, offset, visible: { type: 'all' } });
      expect(later.items.map(e => e.id)).toEqual(order.slice(offset, offset + 2));
    }
  });

  it('lets concurrent identical requests share one queued export, and only while it is active', async () => {
    const request = { kind: 'full' as const, requestKey: 'k'.repeat(64) };
    const joined = await Promise.all(
      Array.from({ length: 10 }, () => store.createOrJoinExport(request)),
    );
    expect(joined.filter(j => j.created)).toHaveLength(1);
    expect(new Set(joined.map(j => j.record.id)).size).toBe(1);
    expect((await store.listExports({ limit: 50, offset: 0 })).total).toBe(1);

    const other = await store.createOrJoinExport({ ...request, requestKey: 'o'.repeat(64) });
    expect(other.created).toBe(true);

    // Once it finished, the same request is a new export.
    const id = joined[0].record.id;
    await store.claimExport(id, 'a');
    expect((await store.createOrJoinExport(request)).record.id).toBe(id);
    await store.finishExport(id, { status: 'failed', error: 'x' });
    const again = await store.createOrJoinExport(request);
    expect(again).toMatchObject({ created: true });
    expect(again.record.id).not.toBe(id);
  });

  it('shows an export only to callers who may read every artifact it carries', async () => {
    const { artifacts } = db.stores;
    await artifacts.createArtifact({ ...rootArtifact, processor: 'npm', id: 'root-a', root: true });
    await artifacts.createArtifact({ ...rootArtifact, processor: 'npm', id: 'dep-b', root: false });
    await artifacts.createArtifact({ ...rootArtifact, processor: 'pypi', id: 'root-c', root: true });
    const succeeded = async (carried: Array<{ processor: string; id: string }>) => {
      const created = await store.createExport({ kind: 'full' });
      await store.claimExport(created.id, 'w');
      // Twice: pages may repeat an artifact (files, then an index).
      await store.addExportArtifacts(created.id, carried);
      await store.addExportArtifacts(created.id, carried);
      await store.finishExport(created.id, emptyBundle());
      return created.id;
    };
    const roots = await succeeded([
      { processor: 'npm', id: 'root-a' },
      { processor: 'pypi', id: 'root-c' },
    ]);
    const withDependency = await succeeded([
      { processor: 'npm', id: 'root-a' },
      { processor: 'npm', id: 'dep-b' },
    ]);
    const empty = await succeeded([]);
    const withDeleted = await succeeded([{ processor: 'npm', id: 'deleted-since' }]);
    const building = (await store.createExport({ kind: 'full' })).id;

    const visibleTo = async (visible: ArtifactScope) => {
      const page = await store.listExports({ limit: 50, offset: 0, visible });
      const ids = page.items.map(e => e.id);
      expect(page.total).toBe(ids.length);
      // A single read agrees with the list.
      for (const id of [roots, withDependency, empty, withDeleted, building]) {
        expect(Boolean(await store.getExport(id, visible))).toBe(ids.includes(id));
      }
      return ids.sort();
    };
    expect(await visibleTo({ type: 'all' })).toEqual(
      [roots, withDependency, empty, withDeleted, building].sort(),
    );
    expect(await visibleTo({ type: 'none' })).toEqual([]);
    expect(await visibleTo({ type: 'some', filter: { key: 'root', value: true } })).toEqual(
      [roots, empty].sort(),
    );
    expect(
      await visibleTo({ type: 'some', filter: { key: 'processor', values: ['npm'] } }),
    ).toEqual([withDependency, empty].sort());
    expect(
      await visibleTo({
        type: 'some',
        filter: { not: { key: 'processor', values: ['npm', 'pypi'] } },
      }),
    ).toEqual([empty]);
  });

  it('deletes finished exports with what they carry, never queued or running ones', async () => {
    const queued = await store.createExport({ kind: 'full' });
    expect(await store.deleteExport(queued.id)).toBe(false);
    await store.claimExport(queued.id, 'w');
    expect(await store.deleteExport(queued.id)).toBe(false);
    await store.addExportArtifacts(queued.id, [{ processor: 'npm', id: 'x' }]);
    await store.finishExport(queued.id, { status: 'failed', error: 'x' });
    expect(await store.deleteExport(queued.id)).toBe(true);
    expect(await store.getExport(queued.id)).toBeUndefined();
    expect(await db.knex('export_artifacts').where({ export_id: queued.id })).toEqual([]);
    expect(await store.deleteExport(queued.id)).toBe(false);
  });

  it('keeps a queued export waiting for a build slot alive by its heartbeat', async () => {
    const waiting = await store.createExport({ kind: 'full' });
    const longAgo = new Date(Date.now() - 60 * 60_000).toISOString();
    await db.knex('exports').where({ id: waiting.id }).update({ created_at: longAgo });
    await store.heartbeatExport(waiting.id);
    expect(await store.failAbandonedExports(5 * 60_000)).toEqual([]);
    expect(await store.getExport(waiting.id)).toMatchObject({ status: 'queued' });
  });
});
