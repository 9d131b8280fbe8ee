import { artifactWithFiles, describeOnEachDatabase, past } from '../__testUtils__/storeFixtures';
import { listFileRefsToQueue, listFilesToQueue } from './listFilesToQueue';

jest.setTimeout(60_000);

describeOnEachDatabase('listFilesToQueue', db => {
  const names = async (query: Parameters<typeof listFilesToQueue>[1]) =>
    (await listFilesToQueue(db.knex, query)).map(f => f.name);

  it('offers files neither collected nor in flight, of selected versions, by ref', async () => {
    const { files } = db.stores;
    const refs = await artifactWithFiles(db.stores, 'npm', 'offered', [
      'pending',
      'queued-now',
      'queued-long-ago',
      'failed',
      'parked',
      'collected',
      'leased',
      'lease-expired',
    ]);
    await files.markQueued([refs['queued-now'], refs['queued-long-ago'], refs.leased, refs['lease-expired']]);
    await db.knex('artifact_files').where({ ref: refs['queued-long-ago'] }).update({ queued_at: past(10 * 60_000) });
    await files.markFailed(refs.failed, { error: '503', parked: false });
    await db.knex('artifact_files').where({ ref: refs.failed }).update({ queued_at: past(10 * 60_000) });
    await files.markFailed(refs.parked, { error: '404', parked: true });
    await files.markCollected(refs.collected, { size: 1, digest: 'x', storageKey: 'k' });
    await files.claimFile(refs.leased, 'worker', 600_000);
    await files.claimFile(refs['lease-expired'], 'gone', 600_000);
    await db.knex('artifact_files')
      .where({ ref: refs['lease-expired'] })
      .update({ locked_until: past(1000), queued_at: past(10 * 60_000) });

    expect(await names({ staleAfterMs: 5 * 60_000 })).toEqual(['pending', 'queued-long-ago', 'lease-expired']);
    expect(await names({ staleAfterMs: 5 * 60_000, includeFailed: true })).toEqual([
      'pending',
      'queued-long-ago',
      'failed',
      'lease-expired',
    ]);
    // Everything queued counts as lost with no window at all, but a live lease still holds.
    expect(await names({ staleAfterMs: 0 })).toEqual(['pending', 'queued-now', 'queued-long-ago', 'lease-expired']);
    const [file] = await listFilesToQueue(db.knex, { staleAfterMs: 0 });
    expect(file).toMatchObject({ processor: 'npm', artifactId: 'offered', version: '1.0.0', runId: undefined });
    // The refs alone, for queueing: the same files, in the same order.
    for (const query of [{ staleAfterMs: 5 * 60_000 }, { staleAfterMs: 5 * 60_000, includeFailed: true }, { staleAfterMs: 0 }]) {
      expect(await listFileRefsToQueue(db.knex, query)).toEqual(
        (await listFilesToQueue(db.knex, query)).map(f => ({ ref: f.ref, runId: f.runId })),
      );
    }
  });

  it('offers only the files of the artifacts asked about, and none of versions not selected', async () => {
    await artifactWithFiles(db.stores, 'npm', 'one', ['a']);
    await artifactWithFiles(db.stores, 'npm', 'two', ['b']);
    const oneRef = (await db.stores.artifacts.getArtifact('npm', 'one'))!.ref;
    expect(await names({ staleAfterMs: 0, artifactRefs: [oneRef] })).toEqual(['a']);
    await db.stores.versions.setSelection(oneRef, [], { replace: true });
    expect(await names({ staleAfterMs: 0 })).toEqual(['b']);
  });
});
