import { ConflictError, NotFoundError } from '@backstage/errors';
import { createBackpackStores } from './createBackpackStores';
import { migrationsDirectory } from './migrationsDirectory';
import { createTestStores, describeOnEachDatabase, npmVersion, rootArtifact as artifact } from './__testUtils__/storeFixtures';

jest.setTimeout(60_000);

describeOnEachDatabase('createBackpackStores', db => {
  it('migrates down and up again', async () => {
    const directory = migrationsDirectory();
    await db.knex.migrate.rollback({ directory }, true);
    expect(await db.knex.schema.hasTable('artifacts')).toBe(false);
    expect(await db.knex.schema.hasTable('exports')).toBe(false);
    await db.knex.migrate.latest({ directory });
    expect(await db.knex.schema.hasTable('artifact_files')).toBe(true);
    expect(await db.knex.schema.hasTable('exports')).toBe(true);
  });

  it('applies the migrations unless told to skip them', async () => {
    const directory = migrationsDirectory();
    await db.knex.migrate.rollback({ directory }, true);
    const client = { getClient: async () => db.knex };
    await createBackpackStores({ database: { ...client, migrations: { skip: true } } });
    expect(await db.knex.schema.hasTable('artifacts')).toBe(false);
    await createBackpackStores({ database: client, skipMigrations: true });
    expect(await db.knex.schema.hasTable('artifacts')).toBe(false);
    // The option wins over the database's setting, both ways.
    await createBackpackStores({ database: { ...client, migrations: { skip: true } }, skipMigrations: false });
    expect(await db.knex.schema.hasTable('artifacts')).toBe(true);
    const [, pending] = await db.knex.migrate.list({ directory });
    expect(pending).toEqual([]);
  });

  it('shares one write counter among the stores of a factory, and only of that factory', async () => {
    const other = await createTestStores(db.knex);
    const before = { ours: db.stores.writes.rows, theirs: other.writes.rows };
    const created = await db.stores.artifacts.createArtifact({ ...artifact, id: 'counted' });
    const synced = await db.stores.versions.syncVersions(created.ref, [npmVersion('1.0.0')]);
    await db.stores.versions.setSelection(created.ref, [{ version: '1.0.0', status: 'selected', selection: [] }]);
    const [file] = await db.stores.files.listFilesToQueue({ staleAfterMs: 0 });
    await db.stores.files.markQueued([file.ref]);
    // 1 artifact, the version and its file, the selection, the queued file.
    expect(synced.rowsWritten).toBe(2);
    expect(db.stores.writes.rows - before.ours).toBe(1 + 2 + 1 + 1);
    expect(other.writes.rows).toBe(before.theirs);
  });

  it('turns database errors caused by input into errors naming the field', async () => {
    const outcome = (promise: Promise<unknown>) =>
      promise.then(
        () => 'stored',
        error => `${error.name}: ${error.message}`,
      );
    const postgres = db.databaseId === 'POSTGRES_15';
    // PostgreSQL refuses these, and the stores' wrapper says why, as a 400;
    // SQLite stores them. The API's validation keeps them out either way.
    expect(
      await outcome(db.stores.artifacts.createArtifact({ ...artifact, processor: 'npm', id: 'x'.repeat(600), root: true })),
    ).toBe(postgres ? 'InputError: id: must be at most 512 characters' : 'stored');
    expect(
      await outcome(db.stores.artifacts.createArtifact({ ...artifact, processor: 'npm', id: 'a\u0000b', root: true })),
    ).toBe(postgres ? 'InputError: input: contains a character the database cannot store (e.g. NUL)' : 'stored');
    expect(await outcome(db.stores.artifacts.getArtifact('npm', 'a\u0000c'))).toBe(
      postgres ? 'InputError: input: contains a character the database cannot store (e.g. NUL)' : 'stored',
    );
    expect(
      await outcome(db.stores.exports.createExport({ kind: 'full', requestedBy: 'u'.repeat(600) })),
    ).toBe(postgres ? 'InputError: requestedBy: must be at most 512 characters' : 'stored');
    expect(
      await outcome(db.stores.runs.createRun({ trigger: 'artifact', scope: { processor: 'npm', id: 'r'.repeat(600) } })),
    ).toBe(postgres ? 'InputError: id: must be at most 512 characters' : 'stored');
  });

  it('translates the errors of every store, and leaves errors of the stores themselves alone', async () => {
    const created = await db.stores.artifacts.createArtifact({ ...artifact, id: 'once' });
    await expect(db.stores.artifacts.createArtifact({ ...artifact, id: 'once' })).rejects.toThrow(ConflictError);
    await expect(db.stores.versions.syncVersions(created.ref + 1000, [])).rejects.toThrow(NotFoundError);
    // PostgreSQL refuses these; SQLite stores or reads them.
    const refused = (message: string) => (db.databaseId === 'POSTGRES_15' ? `InputError: ${message}` : 'stored');
    const outcome = (promise: Promise<unknown>) =>
      promise.then(
        () => 'stored',
        error => `${error.name}: ${error.message}`,
      );
    const nul = 'input: contains a character the database cannot store (e.g. NUL)';
    expect(await outcome(db.stores.versions.syncVersions(created.ref, [npmVersion('v'.repeat(300))]))).toBe(
      refused('version: must be at most 256 characters'),
    );
    expect(await outcome(db.stores.legacyKeys.isStorageKeyReferenced('k\u0000'))).toBe(refused(nul));
    expect(await outcome(db.stores.mirror.listFilesNamed(created.ref, 'n\u0000'))).toBe(refused(nul));
    expect(await outcome(db.stores.files.stats({ type: 'some', filter: { key: 'processor', values: ['p\u0000'] } }))).toBe(
      refused(nul),
    );
  });
});
