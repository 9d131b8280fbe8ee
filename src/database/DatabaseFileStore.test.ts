import { ArtifactScope } from './artifactScope';
import { artifactWithFiles, describeOnEachDatabase, npmVersion as version, rootArtifact as base } from './__testUtils__/storeFixtures';

jest.setTimeout(60_000);

const rootsOnly: ArtifactScope = { type: 'some', filter: { key: 'root', value: true } };
const npmOnly: ArtifactScope = { type: 'some', filter: { key: 'processor', values: ['npm'] } };

describeOnEachDatabase('DatabaseFileStore', db => {
  it('queues, leases and collects files exactly once, moving run counters', async () => {
    const { files: store } = db.stores;
    const artifact = await db.stores.artifacts.createArtifact({ ...base, id: 'pkg' });
    await db.stores.versions.syncVersions(artifact.ref, [version('1.0.0'), version('2.0.0')]);
    await db.stores.versions.setSelection(artifact.ref, [{ version: '1.0.0', status: 'selected', selection: [] }]);
    const run = await db.stores.runs.createRun({ trigger: 'manual' });

    const toQueue = await store.listFilesToQueue({ staleAfterMs: 60_000 });
    expect(toQueue.map(f => [f.artifactId, f.version, f.storageKey])).toEqual([
      ['pkg', '1.0.0', 'files/npm/pkg/1.0.0/pkg-1.0.0.tgz'],
    ]);
    expect(await store.markQueued(toQueue.map(f => f.ref), run.id)).toBe(1);
    // In flight now: not offered again until stale.
    expect(await store.listFilesToQueue({ staleAfterMs: 60_000 })).toEqual([]);
    expect(await store.listFilesToQueue({ staleAfterMs: 0 })).toHaveLength(1);

    const ref = toQueue[0].ref;
    expect(await store.claimFile(ref, 'worker-a', 60_000)).toBe(true);
    expect(await store.claimFile(ref, 'worker-b', 60_000)).toBe(false);

    await store.markFailed(ref, { error: 'upstream answered 500', parked: false });
    let file = await store.getFile(ref);
    expect(file).toMatchObject({ status: 'failed', attempts: 1, error: 'upstream answered 500' });
    expect(await store.claimFile(ref, 'worker-b', 60_000)).toBe(true);

    await store.markCollected(ref, { size: 123, digest: 'abc', storageKey: toQueue[0].storageKey });
    await store.markCollected(ref, { size: 123, digest: 'abc', storageKey: toQueue[0].storageKey });
    file = await store.getFile(ref);
    expect(file).toMatchObject({ status: 'collected', collected: true, size: 123, attempts: 2 });
    expect(await store.claimFile(ref, 'worker-c', 60_000)).toBe(false);
    expect((await db.stores.runs.getRun(run.id))!.counters).toMatchObject({ filesCollected: 1, bytes: 123 });
    expect(await store.stats()).toEqual([{ processor: 'npm', status: 'collected', files: 1, bytes: 123 }]);
  });

  it('renews a lease for its holder and gives it up without an attempt', async () => {
    const { files: store } = db.stores;
    const { a } = await artifactWithFiles(db.stores, 'npm', 'leased', ['a']);
    expect(await store.claimFile(a, 'worker-a', 1_000)).toBe(true);
    const first = (await store.getFile(a))!.lockedUntil!;
    expect(await store.claimFile(a, 'worker-a', 600_000)).toBe(true);
    expect(Date.parse((await store.getFile(a))!.lockedUntil!)).toBeGreaterThan(Date.parse(first));
    // Only the holder releases it.
    await store.releaseFile(a, 'worker-b');
    expect(await store.getFile(a)).toMatchObject({ lockedBy: 'worker-a' });
    await store.releaseFile(a, 'worker-a');
    expect(await store.getFile(a)).toMatchObject({ lockedBy: undefined, lockedUntil: undefined, attempts: 0 });
    expect(await store.claimFile(a, 'worker-b', 60_000)).toBe(true);
  });

  it('parks failures and resets them for a retry', async () => {
    const { files: store } = db.stores;
    const artifact = await db.stores.artifacts.createArtifact({ ...base, id: 'pkg' });
    await db.stores.versions.syncVersions(artifact.ref, [version('1.0.0')]);
    await db.stores.versions.setSelection(artifact.ref, [{ version: '1.0.0', status: 'selected', selection: [] }]);
    const run = await db.stores.runs.createRun({ trigger: 'manual' });
    const [file] = await store.listFilesToQueue({ staleAfterMs: 0 });
    await store.markQueued([file.ref], run.id);
    await store.markFailed(file.ref, { error: 'gone', parked: true });
    expect((await db.stores.runs.getRun(run.id))!.counters.filesFailed).toBe(1);
    expect(await store.listFilesToQueue({ staleAfterMs: 0, includeFailed: true })).toEqual([]);
    // A parked file is not queued again by a run.
    expect(await store.markQueued([file.ref], run.id)).toBe(0);
    expect(await store.resetFiles({ statuses: ['failed', 'parked'], artifactRefs: [artifact.ref] })).toEqual({
      moved: 1,
      artifactRefs: [artifact.ref],
    });
    expect(await store.listFilesToQueue({ staleAfterMs: 0 })).toHaveLength(1);
    expect(await db.stores.artifacts.countArtifact(artifact.ref)).toMatchObject({ files: 1, failed: 0 });
  });

  it('records the kind of a failure and forgets it once collected', async () => {
    const { files: store } = db.stores;
    const { a } = await artifactWithFiles(db.stores, 'npm', 'pkg', ['a']);
    await store.markFailed(a, { error: 'GET … answered 503', parked: false, errorKind: 'transient' });
    expect(await store.getFile(a)).toMatchObject({
      status: 'failed',
      errorKind: 'transient',
      attempts: 1,
    });
    await store.markFailed(a, { error: 'GET … answered 404', parked: true, errorKind: 'permanent' });
    expect(await store.getFile(a)).toMatchObject({ status: 'parked', errorKind: 'permanent', attempts: 2 });
    await store.resetFiles({ statuses: ['parked'] });
    await store.markCollected(a, { size: 1, digest: 'cd', storageKey: 'npm/pkg/a' });
    const collected = await store.getFile(a);
    expect(collected).toMatchObject({ status: 'collected' });
    expect(collected?.errorKind).toBeUndefined();
  });

  it('counts statistics in the read scope', async () => {
    const add = async (processor: string, id: string, root: boolean) => {
      const stored = await db.stores.artifacts.createArtifact({ ...base, processor, id, root });
      await db.stores.versions.syncVersions(stored.ref, [
        { version: '1.0.0', files: [{ name: `${id}.tgz`, uri: `https://x.test/${id}.tgz`, path: `${id}.tgz`, size: 10 }], dependencies: [] },
      ]);
      await db.stores.versions.setSelection(stored.ref, [{ version: '1.0.0', status: 'selected', selection: [] }]);
    };
    await add('npm', 'a', true);
    await add('npm', 'b', false);
    await add('pypi', 'c', true);
    const files = async (scope?: ArtifactScope) =>
      (await db.stores.files.stats(scope)).map(row => `${row.processor}:${row.status}:${row.files}:${row.bytes}`).sort();
    expect(await files()).toEqual(['npm:pending:2:20', 'pypi:pending:1:10']);
    expect(await files({ type: 'all' })).toEqual(['npm:pending:2:20', 'pypi:pending:1:10']);
    expect(await files(rootsOnly)).toEqual(['npm:pending:1:10', 'pypi:pending:1:10']);
    expect(await files(npmOnly)).toEqual(['npm:pending:2:20']);
    expect(await files({ type: 'none' })).toEqual([]);
  });

  it('tells whether a storage key is referenced', async () => {
    await artifactWithFiles(db.stores, 'npm', 'keyed', ['a']);
    expect(await db.stores.files.isStorageKeyReferenced('files/npm/keyed/1.0.0/a')).toBe(true);
    expect(await db.stores.files.isStorageKeyReferenced('files/npm/keyed/1.0.0/b')).toBe(false);
  });

  it('claims the files asked for in one tick with one statement, each caller getting its own', async () => {
    const { files: store } = db.stores;
    const refs = await artifactWithFiles(db.stores, 'npm', 'tick-claims', ['a.tgz', 'b.tgz', 'c.tgz']);
    await store.markCollected(refs['c.tgz'], { size: 1, digest: 'x', storageKey: 'k' });
    const updates: string[] = [];
    const count = (query: { sql: string }) => {
      if (/update/i.test(query.sql)) updates.push(query.sql);
    };
    db.knex.on('query', count);
    const [a, b, c] = await Promise.all(
      ['a.tgz', 'b.tgz', 'c.tgz'].map(name => store.claimFileToCollect(refs[name], 'worker-a', 60_000)),
    );
    db.knex.off('query', count);
    expect(updates).toHaveLength(1);
    expect(a).toMatchObject({ ref: refs['a.tgz'], name: 'a.tgz', lockedBy: 'worker-a' });
    expect(b).toMatchObject({ ref: refs['b.tgz'], name: 'b.tgz', lockedBy: 'worker-a' });
    expect(c).toBeUndefined();
    // A worker with another id claims on its own and is refused the held files.
    expect(await store.claimFileToCollect(refs['a.tgz'], 'worker-b', 60_000)).toBeUndefined();
  });
});
