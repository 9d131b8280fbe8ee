import { ArtifactScope } from './artifactScope';
import { artifactWithFiles, describeOnEachDatabase, past, rootArtifact as artifact } from './__testUtils__/storeFixtures';

jest.setTimeout(60_000);

const rootsOnly: ArtifactScope = { type: 'some', filter: { key: 'root', value: true } };
const npmOnly: ArtifactScope = { type: 'some', filter: { key: 'processor', values: ['npm'] } };

describeOnEachDatabase('DatabaseRunStore', db => {
  it('lets exactly one replica claim a run', async () => {
    const store = db.stores.runs;
    const run = await store.createRun({ trigger: 'artifact', scope: { processor: 'npm', id: 'x' }, requestedBy: 'user:default/jane' });
    expect(run).toMatchObject({ status: 'queued', scope: { processor: 'npm', id: 'x' } });
    expect(await store.listQueuedRuns()).toEqual([run]);
    const claims = await Promise.all([store.claimRun(run.id, 'a'), store.claimRun(run.id, 'b')]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    await store.addRunCounters(run.id, { artifacts: 3, versionsSelected: 5 });
    await store.finishRun(run.id, { status: 'succeeded' });
    const finished = await store.getRun(run.id);
    expect(finished).toMatchObject({ status: 'succeeded', counters: { artifacts: 3, versionsSelected: 5 } });
    expect((await store.listRuns({ limit: 10, offset: 0 })).total).toBe(1);
    // Nothing left to run: nothing queued, nothing abandoned.
    expect(await store.listQueuedRuns()).toEqual([]);
    expect(await store.failAbandonedRuns(60_000)).toEqual([]);
    // A finished run stays as it finished.
    expect(await store.finishRun(run.id, { status: 'failed', error: 'late' })).toBe(false);
    expect(await store.getRun(run.id)).toMatchObject({ status: 'succeeded' });
  });

  it('fails a running run whose replica went quiet, on one replica, and leaves live ones alone', async () => {
    const store = db.stores.runs;
    const quiet = await store.createRun({ trigger: 'manual' });
    const live = await store.createRun({ trigger: 'schedule' });
    await store.claimRun(quiet.id, 'gone');
    await store.claimRun(live.id, 'alive');
    await db.knex('mirror_runs').where({ id: quiet.id }).update({ heartbeat_at: past(10 * 60_000) });

    const [a, b] = await Promise.all([store.failAbandonedRuns(5 * 60_000), store.failAbandonedRuns(5 * 60_000)]);
    expect([...a, ...b]).toEqual([quiet.id]);
    expect(await store.getRun(quiet.id)).toMatchObject({
      status: 'failed',
      error: 'The replica running it stopped sending heartbeats',
      finishedAt: expect.any(String),
    });
    expect(await store.getRun(live.id)).toMatchObject({ status: 'running' });
  });

  it('shows full runs by their own permission and scoped runs by the read scope', async () => {
    const store = db.stores.runs;
    await db.stores.artifacts.createArtifact({ ...artifact, processor: 'npm', id: 'root', root: true });
    await db.stores.artifacts.createArtifact({ ...artifact, processor: 'npm', id: 'dep', root: false });
    const full = await store.createRun({ trigger: 'schedule' });
    const ofRoot = await store.createRun({ trigger: 'artifact', scope: { processor: 'npm', id: 'root' } });
    const ofDep = await store.createRun({ trigger: 'manual', scope: { processor: 'npm', id: 'dep' } });
    const ofDeleted = await store.createRun({ trigger: 'manual', scope: { processor: 'npm', id: 'gone' } });
    const all = [full, ofRoot, ofDep, ofDeleted].map(r => r.id);

    const visible = async (fullRuns: boolean, scoped: ArtifactScope) => {
      const page = await store.listRuns({ limit: 50, offset: 0, visible: { fullRuns, scoped } });
      expect(page.total).toBe(page.items.length);
      const ids = page.items.map(r => r.id);
      for (const id of all) {
        expect(Boolean(await store.getRun(id, { fullRuns, scoped }))).toBe(ids.includes(id));
      }
      return ids.sort();
    };
    expect(await visible(true, { type: 'all' })).toEqual([...all].sort());
    expect(await visible(false, { type: 'all' })).toEqual([ofRoot.id, ofDep.id, ofDeleted.id].sort());
    expect(await visible(true, { type: 'none' })).toEqual([full.id]);
    expect(await visible(false, { type: 'none' })).toEqual([]);
    expect(await visible(false, rootsOnly)).toEqual([ofRoot.id]);
    expect(await visible(true, npmOnly)).toEqual([full.id, ofRoot.id, ofDep.id].sort());
    // Without a visibility (internal callers) every run is there.
    expect((await store.listRuns({ limit: 50, offset: 0 })).total).toBe(4);
  });

  it('pages runs newest first, ties by id, filtered by status and visibility, the same on every page', async () => {
    const store = db.stores.runs;
    await db.stores.artifacts.createArtifact({ ...artifact, processor: 'npm', id: 'root', root: true });
    const runs = [];
    for (let i = 0; i < 12; i++) {
      const scope = i % 3 === 0 ? { processor: 'npm', id: i % 2 ? 'root' : 'gone' } : undefined;
      runs.push(await store.createRun({ trigger: scope ? 'artifact' : 'schedule', scope }));
    }
    // Pairs of runs created at the same instant, so that the order's tie-break counts.
    for (const [i, run] of runs.entries()) {
      await db.knex('mirror_runs').where({ id: run.id }).update({
        created_at: past((12 - Math.floor(i / 2)) * 60_000),
        ...(i % 4 === 1 ? { status: 'failed' } : {}),
      });
    }
    const visibilities = [undefined, { fullRuns: false, scoped: rootsOnly }, { fullRuns: true, scoped: rootsOnly }];
    for (const visible of visibilities) {
      for (const status of [undefined, 'failed' as const]) {
        const all = (await store.listRuns({ status, visible, limit: 50, offset: 0 })).items.map(r => r.id);
        expect(all.length).toBeGreaterThan(0);
        for (const offset of [1, 2, 5]) {
          const page = await store.listRuns({ status, visible, limit: 3, offset });
          expect(page.items.map(r => r.id)).toEqual(all.slice(offset, offset + 3));
        }
      }
    }
    // Listed as read one by one, timestamps included (listings read them as text on PostgreSQL).
    await store.claimRun(runs[4].id, 'a');
    await store.finishRun(runs[4].id, { status: 'succeeded' });
    for (const offset of [0, 3]) {
      const listed = (await store.listRuns({ limit: 5, offset })).items;
      expect(listed).toEqual(await Promise.all(listed.map(r => store.getRun(r.id))));
    }
    expect((await store.getRun(runs[4].id))!.finishedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const newestFirst = (await store.listRuns({ limit: 50, offset: 0 })).items;
    expect(newestFirst.map(r => [r.createdAt, r.id])).toEqual(
      [...newestFirst].map(r => [r.createdAt, r.id]).sort((a, b) => (a < b ? 1 : -1)),
    );
  });

  it('counts outstanding and parked files per run and settles a collecting run once', async () => {
    const store = db.stores.runs;
    const files = db.stores.files;
    const refs = await artifactWithFiles(db.stores, 'npm', 'counted', ['a', 'b', 'c']);
    const run = await store.createRun({ trigger: 'manual' });
    const other = await store.createRun({ trigger: 'manual' });
    expect(await store.claimRun(run.id, 'w1')).toBe(true);
    await files.markQueued([refs.a, refs.b, refs.c], run.id);
    expect(await store.markRunCollecting(run.id, { artifactsFailed: 1, error: 'npm:x failed' })).toBe(true);
    // Only a running run moves to collecting.
    expect(await store.markRunCollecting(other.id, { artifactsFailed: 0 })).toBe(false);
    expect(await store.getRun(run.id)).toMatchObject({
      status: 'collecting',
      error: 'npm:x failed',
      counters: { artifactsFailed: 1 },
    });

    const outstanding = async () => [...(await store.runsWithOutstandingFiles([run.id, other.id]))];
    expect(await outstanding()).toEqual([run.id]);
    await files.markCollected(refs.a, { size: 3, digest: 'x', storageKey: 'npm/counted/a' });
    await files.markFailed(refs.b, { error: '503', parked: false, errorKind: 'transient' });
    expect(await outstanding()).toEqual([run.id]);
    await files.markFailed(refs.b, { error: '404', parked: true, errorKind: 'permanent' });
    await files.markFailed(refs.c, { error: '404', parked: true, errorKind: 'permanent' });
    expect(await outstanding()).toEqual([]);
    expect(await store.countParkedFiles(run.id)).toBe(2);

    const settle = () =>
      store.finishRun(run.id, { status: 'partial', filesParked: 2, error: 'parked', from: 'collecting' });
    const results = await Promise.all([settle(), settle()]);
    expect(results.sort()).toEqual([false, true]);
    expect(await store.getRun(run.id)).toMatchObject({
      status: 'partial',
      finishedAt: expect.any(String),
      counters: { artifactsFailed: 1, filesParked: 2, filesCollected: 1, filesFailed: 2 },
    });
    expect((await store.listRuns({ status: 'partial', limit: 10, offset: 0 })).total).toBe(1);
    // The running counts are dropped once the counters are stored.
    expect(await db.knex('run_collected_counts').where({ run_id: run.id })).toEqual([]);
  });

  it('lets exactly one replica take over a collecting run whose watcher went quiet', async () => {
    const store = db.stores.runs;
    const stale = await store.createRun({ trigger: 'manual' });
    const fresh = await store.createRun({ trigger: 'manual' });
    const orphan = await store.createRun({ trigger: 'manual' });
    for (const [run, worker] of [
      [stale, 'gone'],
      [fresh, 'busy'],
      [orphan, 'dead-pid'],
    ] as const) {
      await store.claimRun(run.id, worker);
      await store.markRunCollecting(run.id, { artifactsFailed: 0 });
    }
    await db.knex('mirror_runs').where({ id: stale.id }).update({ heartbeat_at: past(10 * 60_000) });

    const [a, b] = await Promise.all([
      store.takeOverCollectingRuns('replica-a', { staleAfterMs: 60_000, isDead: w => w === 'dead-pid' }),
      store.takeOverCollectingRuns('replica-b', { staleAfterMs: 60_000, isDead: w => w === 'dead-pid' }),
    ]);
    expect([...a, ...b].sort()).toEqual([orphan.id, stale.id].sort());
    const claimed = await db.knex('mirror_runs').whereIn('id', [stale.id, orphan.id]).select('claimed_by');
    expect(claimed.every(r => ['replica-a', 'replica-b'].includes(r.claimed_by))).toBe(true);
    expect((await db.knex('mirror_runs').where({ id: fresh.id }).first()).claimed_by).toBe('busy');
    // A run taken over is collecting still; nothing failed it.
    expect(await store.getRun(stale.id)).toMatchObject({ status: 'collecting' });
  });

  it('hands the collecting runs of a stopping watcher to the next one at once', async () => {
    const store = db.stores.runs;
    const run = await store.createRun({ trigger: 'manual' });
    await store.claimRun(run.id, 'stopping');
    await store.markRunCollecting(run.id, { artifactsFailed: 0 });
    expect(await store.takeOverCollectingRuns('next', { staleAfterMs: 60_000 })).toEqual([]);
    expect(await store.releaseCollectingRuns('stopping')).toBe(1);
    expect(await store.takeOverCollectingRuns('next', { staleAfterMs: 60_000 })).toEqual([run.id]);
    // Its own runs a watcher does not take from itself.
    expect(await store.takeOverCollectingRuns('next', { staleAfterMs: 0 })).toEqual([]);
  });
});
