import { artifactWithFiles, describeOnEachDatabase, past } from '../__testUtils__/storeFixtures';
import { resetFiles } from './resetFiles';

jest.setTimeout(60_000);

describeOnEachDatabase('resetFiles', db => {
  const fileRow = (ref: number) => db.knex('artifact_files').where({ ref }).first();

  it('resets failed and parked files by scope, kind, permission filter and age', async () => {
    const store = db.stores.files;
    const npm = await artifactWithFiles(db.stores, 'npm', 'left', ['t', 'p', 'f', 'ok']);
    const pypi = await artifactWithFiles(db.stores, 'pypi', 'right', ['t'], false);
    const run = await db.stores.runs.createRun({ trigger: 'manual' });
    await store.markQueued(Object.values(npm), run.id);
    await store.markFailed(npm.t, { error: 'timeout', parked: true, errorKind: 'transient' });
    await store.markFailed(npm.p, { error: '404', parked: true, errorKind: 'permanent' });
    await store.markFailed(npm.f, { error: '500', parked: false, errorKind: 'transient' });
    await store.markFailed(pypi.t, { error: 'reset', parked: true, errorKind: 'transient' });

    // Parked just now: not yet old enough for the sweep's pause.
    expect(
      await resetFiles(db.knex, { statuses: ['parked'], errorKind: 'transient', settledBeforeMs: 60_000 }),
    ).toEqual({ moved: 0, artifactRefs: [] });
    // A permission filter (roots only) and the kind narrow it down.
    const leftRef = (await db.stores.artifacts.getArtifact('npm', 'left'))!.ref;
    expect(
      await resetFiles(db.knex, {
        statuses: ['parked'],
        errorKind: 'transient',
        filter: { key: 'root', value: true },
      }),
    ).toEqual({ moved: 1, artifactRefs: [leftRef] });
    expect(await store.getFile(npm.t)).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await fileRow(npm.t)).run_id).toBeNull();
    expect(await store.getFile(pypi.t)).toMatchObject({ status: 'parked' });
    // By processor and id.
    expect((await resetFiles(db.knex, { statuses: ['failed', 'parked'], processor: 'pypi', id: 'nope' })).moved).toBe(0);
    expect((await resetFiles(db.knex, { statuses: ['failed', 'parked'], processor: 'pypi', id: 'right' })).moved).toBe(1);
    // Everything else that failed, of any kind.
    expect((await resetFiles(db.knex, { statuses: ['failed', 'parked'] })).moved).toBe(2);
    expect(await store.getFile(npm.ok)).toMatchObject({ status: 'queued' });
    const failedAnyMore = await db.knex('artifact_files').whereIn('status', ['failed', 'parked']);
    expect(failedAnyMore).toEqual([]);
  });

  it('resets files that failed long enough ago, of many artifacts at once', async () => {
    const old = await artifactWithFiles(db.stores, 'npm', 'old', ['a']);
    const recent = await artifactWithFiles(db.stores, 'npm', 'recent', ['a']);
    for (const ref of [old.a, recent.a]) {
      await db.stores.files.markFailed(ref, { error: 'reset', parked: true, errorKind: 'transient' });
    }
    await db.knex('artifact_files').where({ ref: old.a }).update({ queued_at: past(10 * 60_000) });
    const oldRef = (await db.stores.artifacts.getArtifact('npm', 'old'))!.ref;
    const recentRef = (await db.stores.artifacts.getArtifact('npm', 'recent'))!.ref;
    // More artifacts than one statement may name: the refs go in bounded groups.
    const unrelated = Array.from({ length: 1200 }, (_, i) => 1_000_000 + i);
    const reset = await resetFiles(db.knex, {
      statuses: ['parked'],
      artifactRefs: [...unrelated.slice(0, 600), oldRef, recentRef, ...unrelated.slice(600)],
      settledBeforeMs: 5 * 60_000,
    });
    expect(reset).toEqual({ moved: 1, artifactRefs: [oldRef] });
    expect(await db.stores.files.getFile(recent.a)).toMatchObject({ status: 'parked' });
  });

  it('leaves collected and in-flight files alone and forgets the lease of those it resets', async () => {
    const refs = await artifactWithFiles(db.stores, 'npm', 'mixed', ['done', 'busy', 'failed']);
    await db.stores.files.markCollected(refs.done, { size: 1, digest: 'x', storageKey: 'k' });
    await db.stores.files.claimFile(refs.busy, 'worker', 60_000);
    await db.stores.files.markFailed(refs.failed, { error: '500', parked: false });
    await db.knex('artifact_files').where({ ref: refs.failed }).update({ locked_by: 'ghost', locked_until: past(1) });
    expect(await resetFiles(db.knex, { statuses: ['failed', 'parked'] })).toMatchObject({ moved: 1 });
    expect(await db.stores.files.getFile(refs.failed)).toMatchObject({
      status: 'pending',
      lockedBy: undefined,
      lockedUntil: undefined,
    });
    expect(await db.stores.files.getFile(refs.done)).toMatchObject({ status: 'collected' });
    expect(await db.stores.files.getFile(refs.busy)).toMatchObject({ status: 'pending', lockedBy: 'worker' });
  });
});
