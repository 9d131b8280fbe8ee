import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';
import { DatabaseBackpackStore } from './DatabaseBackpackStore';
import { ProcessorVersion } from '../processors/types';
import { migrationsDirectory } from './migrationsDirectory';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

async function createStore(databaseId: TestDatabaseId) {
  const knex = await databases.init(databaseId);
  const store = await DatabaseBackpackStore.create({
    database: { getClient: async () => knex },
  });
  return { knex, store };
}

function version(v: string, deps: Array<[string, string]> = []): ProcessorVersion {
  return {
    version: v,
    files: [
      {
        name: `pkg-${v}.tgz`,
        uri: `http://registry.test/pkg/-/pkg-${v}.tgz`,
        path: `pkg/-/pkg-${v}.tgz`,
        integrity: { algorithm: 'sha512', digest: `d${v}` },
      },
    ],
    dependencies: deps.map(([id, range]) => ({
      processor: 'npm',
      id,
      range,
      kind: 'runtime' as const,
    })),
  };
}

const base = {
  processor: 'npm',
  config: {},
  root: true,
  dependencyPolicy: 'latest' as const,
};

describe.each(databases.eachSupportedId())('DatabaseBackpackStore on %p', databaseId => {
  let knex: Knex;
  let store: DatabaseBackpackStore;

  beforeAll(async () => {
    ({ knex, store } = await createStore(databaseId));
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

  it('creates artifacts once per (processor, id)', async () => {
    const created = await store.createArtifact({ ...base, id: 'lodash', filter: '^4', filterType: 'semver', createdBy: 'user:default/jane' });
    expect(created).toMatchObject({
      processor: 'npm',
      id: 'lodash',
      filter: '^4',
      filterType: 'semver',
      root: true,
      status: 'pending',
      createdBy: 'user:default/jane',
    });
    expect(new Date(created.createdAt).getTime()).not.toBeNaN();
    await expect(store.createArtifact({ ...base, id: 'lodash' })).rejects.toThrow(ConflictError);
    const ensured = await store.ensureArtifact({ ...base, id: 'lodash', root: false });
    expect(ensured.ref).toBe(created.ref);
    expect(ensured.root).toBe(true);
  });

  it('lists with filters, search, pagination, a total and permission filters', async () => {
    for (const id of ['a-one', 'b-two', 'c-three', '@types/node']) {
      await store.createArtifact({ ...base, id, root: id !== 'b-two' });
    }
    await store.createArtifact({ ...base, processor: 'pypi', id: 'requests' });

    const page1 = await store.listArtifacts({ limit: 2, offset: 0 });
    const page2 = await store.listArtifacts({ limit: 2, offset: 2 });
    const page3 = await store.listArtifacts({ limit: 2, offset: 4 });
    expect(page1.total).toBe(5);
    expect([...page1.items, ...page2.items, ...page3.items].map(a => `${a.processor}:${a.id}`)).toEqual([
      'npm:@types/node',
      'npm:a-one',
      'npm:b-two',
      'npm:c-three',
      'pypi:requests',
    ]);

    const search = await store.listArtifacts({ search: 'T', limit: 10, offset: 0 });
    expect(search.items.map(a => a.id)).toEqual(['@types/node', 'b-two', 'c-three', 'requests']);
    // LIKE wildcards in the search are taken literally.
    expect((await store.listArtifacts({ search: '_', limit: 10, offset: 0 })).total).toBe(0);

    const roots = await store.listArtifacts({ root: false, limit: 10, offset: 0 });
    expect(roots.items.map(a => a.id)).toEqual(['b-two']);

    const conditional = await store.listArtifacts({
      limit: 10,
      offset: 0,
      filter: {
        anyOf: [
          { key: 'processor', values: ['pypi'] },
          { allOf: [{ key: 'root', value: false }, { not: { key: 'processor', values: ['pypi'] } }] },
        ],
      },
    });
    expect(conditional.items.map(a => a.id)).toEqual(['b-two', 'requests']);
    expect(conditional.total).toBe(2);
  });

  it('syncs versions idempotently and writes nothing when nothing changed', async () => {
    const artifact = await store.createArtifact({ ...base, id: 'pkg' });
    const first = await store.syncVersions(artifact.ref, [version('1.0.0', [['dep', '^1']]), version('1.1.0')]);
    expect(first).toMatchObject({ versionsAdded: 2, filesAdded: 2, dependenciesAdded: 1 });

    const before = store.writes.rows;
    const again = await store.syncVersions(artifact.ref, [version('1.0.0', [['dep', '^1']]), version('1.1.0')]);
    expect(again.rowsWritten).toBe(0);
    expect(store.writes.rows).toBe(before);

    const more = await store.syncVersions(artifact.ref, [version('1.0.0', [['dep', '^1']]), version('1.1.0'), version('2.0.0', [['dep', '^2']])]);
    expect(more).toMatchObject({ versionsAdded: 1, filesAdded: 1, dependenciesAdded: 1 });

    const versions = await store.getVersions(artifact.ref);
    expect(versions.map(v => [v.version, v.dependencies.map(d => d.range)])).toEqual([
      ['1.0.0', ['^1']],
      ['1.1.0', []],
      ['2.0.0', ['^2']],
    ]);
  });

  it('selects versions, records resolutions and counts', async () => {
    const artifact = await store.createArtifact({ ...base, id: 'pkg' });
    await store.syncVersions(artifact.ref, [version('1.0.0', [['dep', '^1']]), version('2.0.0')]);
    const reasons = [{ type: 'filter' as const, filter: '^1' }];
    expect(await store.setSelection(artifact.ref, [{ version: '1.0.0', status: 'selected', selection: reasons }])).toBe(1);
    expect(await store.setSelection(artifact.ref, [{ version: '1.0.0', status: 'selected', selection: reasons }])).toBe(0);

    // A scoped run adds to what is selected.
    const required = { type: 'required-by' as const, processor: 'npm', id: 'x', version: '1.0.0', range: '^2' };
    await store.setSelection(artifact.ref, [{ version: '2.0.0', status: 'selected', selection: [required] }], { replace: false });
    let page = await store.listVersions(artifact.ref, { status: 'selected', limit: 10, offset: 0 });
    expect(page.items.map(v => v.version).sort()).toEqual(['1.0.0', '2.0.0']);

    // A full run replaces it.
    await store.setSelection(artifact.ref, [{ version: '1.0.0', status: 'selected', selection: reasons }]);
    page = await store.listVersions(artifact.ref, { status: 'selected', limit: 10, offset: 0 });
    expect(page.items).toEqual([expect.objectContaining({ version: '1.0.0', selection: reasons })]);

    expect(
      await store.setResolutions(artifact.ref, [
        { version: '1.0.0', processor: 'npm', id: 'dep', kind: 'runtime', range: '^1', resolved: [], unresolvable: 'no version satisfies ^1' },
      ]),
    ).toBe(1);
    expect(await store.listArtifactDependencies(artifact.ref)).toEqual([
      expect.objectContaining({ id: 'dep', range: '^1', unresolvable: 'no version satisfies ^1' }),
    ]);

    expect(await store.countArtifact(artifact.ref)).toEqual({
      versions: 2,
      selectedVersions: 1,
      files: 1,
      collected: 0,
      failed: 0,
      bytes: 0,
    });
  });

  it('queues, leases and collects files exactly once, moving run counters', async () => {
    const artifact = await store.createArtifact({ ...base, id: 'pkg' });
    await store.syncVersions(artifact.ref, [version('1.0.0'), version('2.0.0')]);
    await store.setSelection(artifact.ref, [{ version: '1.0.0', status: 'selected', selection: [] }]);
    const run = await store.createRun({ trigger: 'manual' });

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
    expect((await store.getRun(run.id))!.counters).toMatchObject({ filesCollected: 1, bytes: 123 });
    expect(await store.stats()).toEqual([{ processor: 'npm', status: 'collected', files: 1, bytes: 123 }]);
  });

  it('parks failures and resets them for a retry', async () => {
    const artifact = await store.createArtifact({ ...base, id: 'pkg' });
    await store.syncVersions(artifact.ref, [version('1.0.0')]);
    await store.setSelection(artifact.ref, [{ version: '1.0.0', status: 'selected', selection: [] }]);
    const run = await store.createRun({ trigger: 'manual' });
    const [file] = await store.listFilesToQueue({ staleAfterMs: 0 });
    await store.markQueued([file.ref], run.id);
    await store.markFailed(file.ref, { error: 'gone', parked: true });
    expect((await store.getRun(run.id))!.counters.filesFailed).toBe(1);
    expect(await store.listFilesToQueue({ staleAfterMs: 0, includeFailed: true })).toEqual([]);
    expect(await store.resetFailedFiles(artifact.ref)).toEqual([file.ref]);
    expect(await store.listFilesToQueue({ staleAfterMs: 0 })).toHaveLength(1);
    expect(await store.countArtifact(artifact.ref)).toMatchObject({ files: 1, failed: 0 });
  });

  it('deletes an artifact with its rows and reports orphaned storage keys', async () => {
    const a = await store.createArtifact({ ...base, id: 'a' });
    const b = await store.createArtifact({ ...base, id: 'b' });
    await store.syncVersions(a.ref, [version('1.0.0'), version('2.0.0')]);
    // b's processor gives its file the same path as a's: the keys differ
    // all the same, so deleting a orphans both of its keys and none of b's.
    await store.syncVersions(b.ref, [version('1.0.0')]);
    const { orphanedStorageKeys } = await store.deleteArtifact(a.ref);
    expect(orphanedStorageKeys.sort()).toEqual([
      'files/npm/a/1.0.0/pkg-1.0.0.tgz',
      'files/npm/a/2.0.0/pkg-2.0.0.tgz',
    ]);
    expect(await store.getArtifact('npm', 'a')).toBeUndefined();
    expect(await knex('artifact_versions').where({ artifact_ref: a.ref })).toEqual([]);
    expect(await store.isStorageKeyReferenced('files/npm/b/1.0.0/pkg-1.0.0.tgz')).toBe(true);
  });

  it('derives each file\'s key, records whether it is verified, and parks files it refuses', async () => {
    const artifact = await store.createArtifact({ ...base, processor: 'pypi', id: 'attacker' });
    const file = (name: string, path: string, digest?: string) => ({
      name,
      uri: `http://upstream.test/${path}`,
      path,
      ...(digest ? { integrity: { algorithm: 'sha256' as const, digest } } : {}),
    });
    await store.syncVersions(artifact.ref, [
      {
        version: '1.0',
        files: [
          file('victim-1.0.tar.gz', 'packages/victim-1.0.tar.gz', 'a'.repeat(64)),
          file('victim2-1.0.tar.gz/x.tar.gz', 'packages/victim2-1.0.tar.gz/x.tar.gz', 'b'.repeat(64)),
          file('plain.tar.gz', 'packages/../plain.tar.gz', 'c'.repeat(64)),
          file('nodigest.tar.gz', 'packages/nodigest.tar.gz'),
        ],
        dependencies: [],
      },
      { version: '..', files: [file('dots.tar.gz', 'packages/dots.tar.gz', 'd'.repeat(64))], dependencies: [] },
    ]);
    const rows = Object.fromEntries(
      [
        ...(await store.listFiles(artifact.ref, '1.0', { limit: 10, offset: 0 }))!.items,
        ...(await store.listFiles(artifact.ref, '..', { limit: 10, offset: 0 }))!.items,
      ].map(f => [f.name, f]),
    );
    expect(rows['victim-1.0.tar.gz']).toMatchObject({
      storageKey: 'files/pypi/attacker/1.0/victim-1.0.tar.gz',
      folder: 'packages/victim-1.0.tar.gz',
      status: 'pending',
      verified: true,
    });
    expect(rows['nodigest.tar.gz']).toMatchObject({ status: 'pending', verified: false });
    expect(rows['victim2-1.0.tar.gz/x.tar.gz']).toMatchObject({
      storageKey: 'files/pypi/attacker/1.0/victim2-1.0.tar.gz%2fx.tar.gz',
      status: 'parked',
      error: expect.stringMatching(/^Refused: file name .* contains '\/'/),
    });
    expect(rows['plain.tar.gz']).toMatchObject({
      status: 'parked',
      error: expect.stringMatching(/^Refused: path .* has a segment that is '..'/),
    });
    expect(rows['dots.tar.gz']).toMatchObject({
      status: 'parked',
      error: expect.stringMatching(/^Refused: version ".." is '..'/),
    });
  });

  it('lets exactly one replica claim a run', async () => {
    const run = await store.createRun({ trigger: 'artifact', scope: { processor: 'npm', id: 'x' }, requestedBy: 'user:default/jane' });
    expect(run).toMatchObject({ status: 'queued', scope: { processor: 'npm', id: 'x' } });
    const claims = await Promise.all([store.claimRun(run.id, 'a'), store.claimRun(run.id, 'b')]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    await store.addRunCounters(run.id, { artifacts: 3, versionsSelected: 5 });
    await store.finishRun(run.id, { status: 'succeeded' });
    const finished = await store.getRun(run.id);
    expect(finished).toMatchObject({ status: 'succeeded', counters: { artifacts: 3, versionsSelected: 5 } });
    expect((await store.listRuns({ limit: 10, offset: 0 })).total).toBe(1);
    expect(await store.listRunnableRuns(60_000)).toEqual([]);
  });

  it('migrates down and up again', async () => {
    const directory = migrationsDirectory();
    await knex.migrate.rollback({ directory }, true);
    expect(await knex.schema.hasTable('artifacts')).toBe(false);
    await knex.migrate.latest({ directory });
    expect(await knex.schema.hasTable('artifact_files')).toBe(true);
  });
});
