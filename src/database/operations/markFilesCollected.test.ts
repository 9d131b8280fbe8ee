import { artifactWithFiles, describeOnEachDatabase } from '../__testUtils__/storeFixtures';
import { markFilesCollected } from './markFilesCollected';

jest.setTimeout(60_000);

describeOnEachDatabase('markFilesCollected', db => {
  it('records a batch of files in one call, each with its own size, digest and key, once', async () => {
    const refs = await artifactWithFiles(db.stores, 'npm', 'batch', ['a.tgz', 'b.tgz', 'c.tgz']);
    const run = await db.stores.runs.createRun({ trigger: 'manual' });
    await db.stores.files.markQueued(Object.values(refs), run.id);
    await db.stores.files.claimFile(refs['a.tgz'], 'worker-a', 60_000);
    await db.stores.files.markFailed(refs['b.tgz'], { error: 'reset by peer', parked: false, errorKind: 'transient' });

    const statements: string[] = [];
    const count = (query: { sql: string }) => statements.push(query.sql);
    db.knex.on('query', count);
    const written = await markFilesCollected(db.knex, [
      { fileRef: refs['b.tgz'], size: 20, digest: 'b'.repeat(64), storageKey: 'files/npm/batch/b' },
      { fileRef: refs['a.tgz'], size: 10, digest: 'a'.repeat(64), storageKey: 'files/npm/batch/a' },
    ]);
    db.knex.off('query', count);
    expect(written).toBe(2);
    // PostgreSQL: one statement for the batch and its run's count, whatever
    // its size; SQLite one update per file in one transaction.
    const writes = db.databaseId === 'POSTGRES_15' ? statements : statements.filter(sql => /^update/i.test(sql));
    expect(writes).toHaveLength(db.databaseId === 'POSTGRES_15' ? 1 : 2);
    const a = await db.stores.files.getFile(refs['a.tgz']);
    const b = await db.stores.files.getFile(refs['b.tgz']);
    expect(a).toMatchObject({ status: 'collected', collected: true, size: 10, attempts: 1, lockedBy: undefined });
    expect(b).toMatchObject({
      status: 'collected',
      collected: true,
      size: 20,
      attempts: 2,
      storageKey: 'files/npm/batch/b',
      error: undefined,
      errorKind: undefined,
    });
    const digests = await db.knex('artifact_files').whereIn('ref', [refs['a.tgz'], refs['b.tgz']]).orderBy('name');
    expect(digests.map(r => r.collected_digest)).toEqual(['a'.repeat(64), 'b'.repeat(64)]);
    expect(await db.stores.files.getFile(refs['c.tgz'])).toMatchObject({ status: 'queued', collected: false });

    // A file already collected is left alone: no second attempt counted.
    expect(
      await markFilesCollected(db.knex, [
        { fileRef: refs['a.tgz'], size: 99, digest: 'c'.repeat(64), storageKey: 'other' },
        { fileRef: refs['c.tgz'], size: 30, digest: 'c'.repeat(64), storageKey: 'files/npm/batch/c' },
      ]),
    ).toBe(1);
    expect(await db.stores.files.getFile(refs['a.tgz'])).toMatchObject({ size: 10, attempts: 1 });
    // The run's progress, read from its running counts, counts each file once.
    expect((await db.stores.runs.getRun(run.id))!.counters).toMatchObject({ filesCollected: 3, bytes: 60 });
    const shards = await db.knex('run_collected_counts').where({ run_id: run.id });
    expect(shards.length).toBeGreaterThan(0);
    expect(shards.reduce((n, r) => n + Number(r.files), 0)).toBe(3);
    expect(await markFilesCollected(db.knex, [])).toBe(0);
  });

  it('records the outcomes of files collected at once through the store, each resolving when written', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `f${i}.tgz`);
    const refs = await artifactWithFiles(db.stores, 'npm', 'many', names);
    await Promise.all(
      names.map((name, i) =>
        db.stores.files.markCollected(refs[name], { size: i + 1, digest: 'd'.repeat(64), storageKey: `k/${name}` }),
      ),
    );
    const rows = await db.knex('artifact_files').whereIn('ref', Object.values(refs)).orderBy('ref');
    expect(rows.every(r => r.status === 'collected')).toBe(true);
    expect(rows.map(r => Number(r.size)).sort((x, y) => x - y)).toEqual(names.map((_, i) => i + 1));
  });
});
