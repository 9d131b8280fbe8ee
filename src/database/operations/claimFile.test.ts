import { artifactWithFiles, describeOnEachDatabase, past } from '../__testUtils__/storeFixtures';
import { claimFileToCollect } from './claimFile';

jest.setTimeout(60_000);

describeOnEachDatabase('claimFileToCollect', db => {
  it('leases a free file and reads it with its owner, telling a first claim from a later one', async () => {
    const refs = await artifactWithFiles(db.stores, 'npm', 'claimed', ['a.tgz']);
    const run = await db.stores.runs.createRun({ trigger: 'manual' });
    await db.stores.files.markQueued([refs['a.tgz']], run.id);

    const statements: string[] = [];
    const count = (query: { sql: string }) => statements.push(query.sql);
    db.knex.on('query', count);
    const file = await claimFileToCollect(db.knex, refs['a.tgz'], 'worker-a', 60_000);
    db.knex.off('query', count);
    // One round trip and one commit where the database allows it.
    expect(statements).toHaveLength(db.databaseId === 'POSTGRES_15' ? 1 : 2);
    expect(file).toMatchObject({
      ref: refs['a.tgz'],
      name: 'a.tgz',
      artifactId: 'claimed',
      processor: 'npm',
      version: '1.0.0',
      runId: run.id,
      status: 'queued',
      lockedBy: 'worker-a',
      integrity: { algorithm: 'sha256', digest: 'ab' },
      claimedBefore: false,
    });
    expect(Date.parse(file!.lockedUntil!)).toBeGreaterThan(Date.now() + 50_000);

    // Another worker cannot take it while the lease lives; the holder renews it.
    expect(await claimFileToCollect(db.knex, refs['a.tgz'], 'worker-b', 60_000)).toBeUndefined();
    expect(await claimFileToCollect(db.knex, refs['a.tgz'], 'worker-a', 60_000)).toMatchObject({
      lockedBy: 'worker-a',
      claimedBefore: true,
    });
    // Once the lease ran out, another worker takes it, and knows it was claimed.
    await db.knex('artifact_files').where({ ref: refs['a.tgz'] }).update({ locked_until: past(1000) });
    expect(await claimFileToCollect(db.knex, refs['a.tgz'], 'worker-b', 60_000)).toMatchObject({
      lockedBy: 'worker-b',
      claimedBefore: true,
    });
  });

  it('takes no collected, parked or missing file', async () => {
    const refs = await artifactWithFiles(db.stores, 'npm', 'settled', ['done.tgz', 'parked.tgz']);
    await db.stores.files.markCollected(refs['done.tgz'], { size: 1, digest: 'x', storageKey: 'k' });
    await db.stores.files.markFailed(refs['parked.tgz'], { error: 'gone', parked: true, errorKind: 'permanent' });
    expect(await claimFileToCollect(db.knex, refs['done.tgz'], 'worker-a', 60_000)).toBeUndefined();
    expect(await claimFileToCollect(db.knex, refs['parked.tgz'], 'worker-a', 60_000)).toBeUndefined();
    expect(await claimFileToCollect(db.knex, 987654, 'worker-a', 60_000)).toBeUndefined();
    const rows = await db.knex('artifact_files').whereNotNull('locked_by');
    expect(rows).toEqual([]);
  });

  it('reads as never claimed after the first claim is given up with unclaim', async () => {
    const refs = await artifactWithFiles(db.stores, 'npm', 'given-up', ['a.tgz']);
    const first = await claimFileToCollect(db.knex, refs['a.tgz'], 'worker-a', 60_000);
    expect(first?.claimedBefore).toBe(false);
    await db.stores.files.releaseFile(refs['a.tgz'], 'worker-a', { unclaim: true });
    expect(await claimFileToCollect(db.knex, refs['a.tgz'], 'worker-b', 60_000)).toMatchObject({
      lockedBy: 'worker-b',
      claimedBefore: false,
    });
    // Given up without unclaim (e.g. at shutdown), the claim is remembered.
    await db.stores.files.releaseFile(refs['a.tgz'], 'worker-b');
    expect(await claimFileToCollect(db.knex, refs['a.tgz'], 'worker-c', 60_000)).toMatchObject({
      claimedBefore: true,
    });
  });
});
