import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { ArtifactScope } from './artifactScope';
import { DatabaseBackpackStore } from './DatabaseBackpackStore';
import { DatabaseExportStore } from './DatabaseExportStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const artifact = { config: {}, dependencyPolicy: 'latest' as const };
const rootsOnly: ArtifactScope = { type: 'some', filter: { key: 'root', value: true } };
const npmOnly: ArtifactScope = { type: 'some', filter: { key: 'processor', values: ['npm'] } };

describe.each(databases.eachSupportedId())('read scopes and input errors on %p', databaseId => {
  let knex: Knex;
  let store: DatabaseBackpackStore;

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    store = await DatabaseBackpackStore.create({ database: { getClient: async () => knex } });
  });

  afterEach(async () => {
    for (const table of [
      'artifact_dependencies',
      'artifact_files',
      'artifact_versions',
      'artifacts',
      'mirror_runs',
    ]) {
      await knex(table).delete();
    }
  });

  it('shows full runs by their own permission and scoped runs by the read scope', async () => {
    await store.createArtifact({ ...artifact, processor: 'npm', id: 'root', root: true });
    await store.createArtifact({ ...artifact, processor: 'npm', id: 'dep', root: false });
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

  it('counts statistics in the read scope', async () => {
    const add = async (processor: string, id: string, root: boolean) => {
      const stored = await store.createArtifact({ ...artifact, processor, id, root });
      await store.syncVersions(
        stored.ref,
        [{ version: '1.0.0', files: [{ name: `${id}.tgz`, uri: `https://x.test/${id}.tgz`, path: `${id}.tgz`, size: 10 }], dependencies: [] }],
        path => `${processor}/${path}`,
      );
      await store.setSelection(stored.ref, [{ version: '1.0.0', status: 'selected', selection: [] }]);
    };
    await add('npm', 'a', true);
    await add('npm', 'b', false);
    await add('pypi', 'c', true);
    const files = async (scope?: ArtifactScope) =>
      (await store.stats(scope)).map(row => `${row.processor}:${row.status}:${row.files}:${row.bytes}`).sort();
    expect(await files()).toEqual(['npm:pending:2:20', 'pypi:pending:1:10']);
    expect(await files({ type: 'all' })).toEqual(['npm:pending:2:20', 'pypi:pending:1:10']);
    expect(await files(rootsOnly)).toEqual(['npm:pending:1:10', 'pypi:pending:1:10']);
    expect(await files(npmOnly)).toEqual(['npm:pending:2:20']);
    expect(await files({ type: 'none' })).toEqual([]);
  });

  it('records discovery warnings, replaces them, and clears them', async () => {
    const stored = await store.createArtifact({ ...artifact, processor: 'npm', id: 'warned', root: true });
    await store.recordDiscovery(stored.ref, { runId: 'r1', status: 'ok', warnings: ['a', 'b'] });
    expect((await store.getArtifact('npm', 'warned'))?.warnings).toEqual(['a', 'b']);
    // A 304 passes none and changes nothing.
    await store.recordDiscovery(stored.ref, { runId: 'r2', status: 'ok' });
    expect((await store.getArtifact('npm', 'warned'))?.warnings).toEqual(['a', 'b']);
    await store.recordDiscovery(stored.ref, { runId: 'r3', status: 'ok', warnings: [] });
    expect((await store.getArtifact('npm', 'warned'))?.warnings).toBeUndefined();
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
      await outcome(store.createArtifact({ ...artifact, processor: 'npm', id: 'x'.repeat(600), root: true })),
    ).toBe(postgres ? 'InputError: id: must be at most 512 characters' : 'stored');
    expect(
      await outcome(store.createArtifact({ ...artifact, processor: 'npm', id: 'a\u0000b', root: true })),
    ).toBe(postgres ? 'InputError: input: contains a character the database cannot store (e.g. NUL)' : 'stored');
    expect(await outcome(store.getArtifact('npm', 'a\u0000c'))).toBe(
      postgres ? 'InputError: input: contains a character the database cannot store (e.g. NUL)' : 'stored',
    );
    expect(
      await outcome(DatabaseExportStore.create(knex).createExport({ kind: 'full', requestedBy: 'u'.repeat(600) })),
    ).toBe(postgres ? 'InputError: requestedBy: must be at most 512 characters' : 'stored');
  });
});
