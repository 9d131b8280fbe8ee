import { TestDatabases } from '@backstage/backend-test-utils';
import { ConflictError, NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { BackpackStores, createBackpackStores } from './createBackpackStores';
import { migrationsDirectory } from './migrationsDirectory';
import { clearTables, createTestStores, npmVersion, rootArtifact as artifact } from './__testUtils__/storeFixtures';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('createBackpackStores on %p', databaseId => {
  let knex: Knex;
  let stores: BackpackStores;

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    stores = await createTestStores(knex);
  });

  afterEach(() => clearTables(knex));

  it('migrates down and up again', async () => {
    const directory = migrationsDirectory();
    await knex.migrate.rollback({ directory }, true);
    expect(await knex.schema.hasTable('artifacts')).toBe(false);
    expect(await knex.schema.hasTable('exports')).toBe(false);
    await knex.migrate.latest({ directory });
    expect(await knex.schema.hasTable('artifact_files')).toBe(true);
    expect(await knex.schema.hasTable('exports')).toBe(true);
  });

  it('applies the migrations unless told to skip them', async () => {
    const directory = migrationsDirectory();
    await knex.migrate.rollback({ directory }, true);
    const client = { getClient: async () => knex };
    await createBackpackStores({ database: { ...client, migrations: { skip: true } } });
    expect(await knex.schema.hasTable('artifacts')).toBe(false);
    await createBackpackStores({ database: client, skipMigrations: true });
    expect(await knex.schema.hasTable('artifacts')).toBe(false);
    // The option wins over the database's setting, both ways.
    await createBackpackStores({ database: { ...client, migrations: { skip: true } }, skipMigrations: false });
    expect(await knex.schema.hasTable('artifacts')).toBe(true);
    const [, pending] = await knex.migrate.list({ directory });
    expect(pending).toEqual([]);
  });

  it('shares one write counter among the stores of a factory, and only of that factory', async () => {
    const other = await createTestStores(knex);
    const before = { ours: stores.writes.rows, theirs: other.writes.rows };
    const created = await stores.artifacts.createArtifact({ ...artifact, id: 'counted' });
    const synced = await stores.versions.syncVersions(created.ref, [npmVersion('1.0.0')]);
    await stores.versions.setSelection(created.ref, [{ version: '1.0.0', status: 'selected', selection: [] }]);
    const [file] = await stores.files.listFilesToQueue({ staleAfterMs: 0 });
    await stores.files.markQueued([file.ref]);
    // 1 artifact, the version and its file, the selection, the queued file.
    expect(synced.rowsWritten).toBe(2);
    expect(stores.writes.rows - before.ours).toBe(1 + 2 + 1 + 1);
    expect(other.writes.rows).toBe(before.theirs);
  });

  it('turns database errors caused by input into errors naming the field', async () => {
    const outcome = (promise: Promise<unknown>) =>
      promise.then(
        () => 'stored',
        error => `${error.name}: ${error.message}`,
      );
    const postgres = databaseId === 'POSTGRES_15';
    // PostgreSQL refuses these, and the stores' wrapper says why, as a 400;
    // SQLite stores them. The API's validation keeps them out either way.
    expect(
      await outcome(stores.artifacts.createArtifact({ ...artifact, processor: 'npm', id: 'x'.repeat(600), root: true })),
    ).toBe(postgres ? 'InputError: id: must be at most 512 characters' : 'stored');
    expect(
      await outcome(stores.artifacts.createArtifact({ ...artifact, processor: 'npm', id: 'a\u0000b', root: true })),
    ).toBe(postgres ? 'InputError: input: contains a character the database cannot store (e.g. NUL)' : 'stored');
    expect(await outcome(stores.artifacts.getArtifact('npm', 'a\u0000c'))).toBe(
      postgres ? 'InputError: input: contains a character the database cannot store (e.g. NUL)' : 'stored',
    );
    expect(
      await outcome(stores.exports.createExport({ kind: 'full', requestedBy: 'u'.repeat(600) })),
    ).toBe(postgres ? 'InputError: requestedBy: must be at most 512 characters' : 'stored');
    expect(
      await outcome(stores.runs.createRun({ trigger: 'artifact', scope: { processor: 'npm', id: 'r'.repeat(600) } })),
    ).toBe(postgres ? 'InputError: id: must be at most 512 characters' : 'stored');
  });

  it('translates the errors of every store, and leaves errors of the stores themselves alone', async () => {
    const created = await stores.artifacts.createArtifact({ ...artifact, id: 'once' });
    await expect(stores.artifacts.createArtifact({ ...artifact, id: 'once' })).rejects.toThrow(ConflictError);
    await expect(stores.versions.syncVersions(created.ref + 1000, [])).rejects.toThrow(NotFoundError);
    // PostgreSQL refuses these; SQLite stores or reads them.
    const refused = (message: string) => (databaseId === 'POSTGRES_15' ? `InputError: ${message}` : 'stored');
    const outcome = (promise: Promise<unknown>) =>
      promise.then(
        () => 'stored',
        error => `${error.name}: ${error.message}`,
      );
    const nul = 'input: contains a character the database cannot store (e.g. NUL)';
    expect(await outcome(stores.versions.syncVersions(created.ref, [npmVersion('v'.repeat(300))]))).toBe(
      refused('version: must be at most 256 characters'),
    );
    expect(await outcome(stores.legacyKeys.isStorageKeyReferenced('k\u0000'))).toBe(refused(nul));
    expect(await outcome(stores.mirror.listFilesNamed(created.ref, 'n\u0000'))).toBe(refused(nul));
    expect(await outcome(stores.files.stats({ type: 'some', filter: { key: 'processor', values: ['p\u0000'] } }))).toBe(
      refused(nul),
    );
  });
});
