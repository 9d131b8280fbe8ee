import { artifactWithFiles, describeOnEachDatabase, past } from '../__testUtils__/storeFixtures';
import { claimFilesToCollect, claimFileToCollect } from './claimFile';

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

describeOnEachDatabase('claimFilesToCollect', db => {
  it('leases several files in one statement on PostgreSQL and answers which it took', async () => {
    const refs = await artifactWithFiles(db.stores, 'npm', 'batch', ['a.tgz', 'b.tgz', 'c.tgz', 'd.tgz', 'e.tgz']);
    await db.stores.files.markCollected(refs['c.tgz'], { size: 1, digest: 'x', storageKey: 'k' });
    expect(await claimFileToCollect(db.knex, refs['d.tgz'], 'worker-b', 60_000)).toBeDefined();
    // Claimed before by a worker that let it go: taken, and known as claimed before.
    await db.knex('artifact_files').where({ ref: refs['e.tgz'] }).update({ claimed_at: past(5000) });

    const statements: string[] = [];
    const count = (query: { sql: string }) => statements.push(query.sql);
    db.knex.on('query', count);
    const wanted = [refs['e.tgz'], refs['a.tgz'], refs['b.tgz'], refs['c.tgz'], refs['d.tgz'], 987654];
    const taken = await claimFilesToCollect(db.knex, wanted, 'worker-a', 60_000);
    db.knex.off('query', count);
    expect(statements).toHaveLength(db.databaseId === 'POSTGRES_15' ? 1 : 2);

    // Not the collected one, not the one another worker holds, not the missing one.
    expect([...taken.keys()].sort((x, y) => x - y)).toEqual(
      [refs['a.tgz'], refs['b.tgz'], refs['e.tgz']].sort((x, y) => x - y),
    );
    expect(taken.get(refs['a.tgz'])).toMatchObject({ name: 'a.tgz', artifactId: 'batch', lockedBy: 'worker-a', claimedBefore: false });
    expect(taken.get(refs['b.tgz'])).toMatchObject({ name: 'b.tgz', lockedBy: 'worker-a', claimedBefore: false });
    expect(taken.get(refs['e.tgz'])).toMatchObject({ name: 'e.tgz', lockedBy: 'worker-a', claimedBefore: true });
    const held = await db.knex('artifact_files').whereNotNull('locked_by').orderBy('ref').select('ref', 'locked_by');
    expect(held.map(r => [Number(r.ref), r.locked_by])).toEqual(
      [
        [refs['a.tgz'], 'worker-a'],
        [refs['b.tgz'], 'worker-a'],
        [refs['d.tgz'], 'worker-b'],
        [refs['e.tgz'], 'worker-a'],
      ].sort((x, y) => (x[0] as number) - (y[0] as number)),
    );
  });

  it('takes nothing for no refs', async () => {
    expect((await claimFilesToCollect(db.knex, [], 'worker-a', 60_000)).size).toBe(0);
  });

  it('keeps claiming after a column was added to the files table, as by a newer replica\'s migration', async () => {
    const refs = await artifactWithFiles(db.stores, 'npm', 'migrated', ['a.tgz', 'b.tgz']);
    // Prepared on PostgreSQL by the first claim, then reused: its result
    // must not change with the table's columns.
    expect(await claimFileToCollect(db.knex, refs['a.tgz'], 'worker-a', 60_000)).toMatchObject({ name: 'a.tgz' });
    await db.knex.schema.alterTable('artifact_files', table => table.text('added_later'));
    try {
      expect(await claimFileToCollect(db.knex, refs['b.tgz'], 'worker-a', 60_000)).toMatchObject({
        name: 'b.tgz',
        lockedBy: 'worker-a',
      });
    } finally {
      await db.knex.schema.alterTable('artifact_files', table => table.dropColumn('added_later'));
    }
  });
  it('names its statement on PostgreSQL unless prepared statements are off', async () => {
    const refs = await artifactWithFiles(db.stores, 'npm', 'named', ['a.tgz', 'b.tgz']);
    await db.stores.files.markQueued([refs['a.tgz'], refs['b.tgz']]);
    const names: Array<string | undefined> = [];
    const record = (query: { options?: { name?: string } }) => names.push(query.options?.name);
    db.knex.on('query', record);
    const first = await claimFilesToCollect(db.knex, [refs['a.tgz']], 'worker-a', 60_000);
    const second = await claimFilesToCollect(db.knex, [refs['b.tgz']], 'worker-a', 60_000, {
      preparedStatements: false,
    });
    db.knex.off('query', record);
    // Both claim alike; only the way the statement is sent differs.
    expect(first.get(refs['a.tgz'])).toMatchObject({ name: 'a.tgz', lockedBy: 'worker-a' });
    expect(second.get(refs['b.tgz'])).toMatchObject({ name: 'b.tgz', lockedBy: 'worker-a' });
    // On PostgreSQL one statement per claim, the first named; SQLite names none.
    const named = db.databaseId === 'POSTGRES_15' ? ['backpack_claim_files_to_collect', undefined] : [];
    expect(names.filter((name, i) => name !== undefined || i < named.length)).toEqual(named);
  });
});
