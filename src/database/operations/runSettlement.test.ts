import { artifactWithFiles, describeOnEachDatabase } from '../__testUtils__/storeFixtures';
import { collectedSoFar, countCollectedFiles, countParkedFiles, runsWithOutstandingFiles } from './runSettlement';

jest.setTimeout(60_000);

describeOnEachDatabase('run settlement counts', db => {
  it('counts the files of each run by whether they have an outcome', async () => {
    const { files } = db.stores;
    const refs = await artifactWithFiles(db.stores, 'npm', 'settling', ['pending', 'queued', 'failed', 'parked', 'collected']);
    const run = await db.stores.runs.createRun({ trigger: 'manual' });
    const other = await db.stores.runs.createRun({ trigger: 'manual' });
    await files.markQueued(Object.values(refs), run.id);
    // Back to pending, as a reset leaves it, yet still the run's.
    await db.knex('artifact_files').where({ ref: refs.pending }).update({ status: 'pending' });
    await files.markFailed(refs.failed, { error: '503', parked: false });
    await files.markFailed(refs.parked, { error: '404', parked: true });
    await files.markCollected(refs.collected, { size: 1, digest: 'x', storageKey: 'k' });

    expect([...(await runsWithOutstandingFiles(db.knex, [run.id, other.id]))]).toEqual([run.id]);
    expect(await countParkedFiles(db.knex, run.id)).toBe(1);
    expect(await countParkedFiles(db.knex, other.id)).toBe(0);
    expect(await runsWithOutstandingFiles(db.knex, [])).toEqual(new Set());
    // With only an outcome left for each file, nothing is outstanding.
    await db.knex('artifact_files').whereIn('ref', [refs.pending, refs.queued, refs.failed]).update({ status: 'parked' });
    expect(await runsWithOutstandingFiles(db.knex, [run.id])).toEqual(new Set());
  });

  it('adds up the collected files and bytes of each run, from its files and from the running counts alike', async () => {
    const { files } = db.stores;
    const refs = await artifactWithFiles(db.stores, 'npm', 'counted', ['a', 'b', 'c']);
    const run = await db.stores.runs.createRun({ trigger: 'manual' });
    const idle = await db.stores.runs.createRun({ trigger: 'manual' });
    await files.markQueued(Object.values(refs), run.id);
    await files.markCollected(refs.a, { size: 3, digest: 'x', storageKey: 'npm/counted/a' });
    await files.markCollected(refs.b, { size: 4, digest: 'y', storageKey: 'npm/counted/b' });

    // A run with nothing collected is still answered, with zeros.
    const expected = new Map([
      [run.id, { files: 2, bytes: 7 }],
      [idle.id, { files: 0, bytes: 0 }],
    ]);
    expect(await countCollectedFiles(db.knex, [run.id, idle.id])).toEqual(expected);
    expect(await collectedSoFar(db.knex, [run.id, idle.id])).toEqual(expected);
    expect(await countCollectedFiles(db.knex, [])).toEqual(new Map());
    expect(await collectedSoFar(db.knex, [])).toEqual(new Map());
  });
});
