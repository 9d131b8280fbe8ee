import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { createBackpackStores } from './createBackpackStores';
import { MirrorReadStore } from './MirrorReadStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const SHA256 = 'a'.repeat(64);
const T0 = '2024-01-01T00:00:00.000Z';

describe.each(databases.eachSupportedId())('DatabaseMirrorReadStore on %p', databaseId => {
  let knex: Knex;
  let store: MirrorReadStore;
  let appRef: number;

  async function artifact(processor: string, id: string, tags?: object): Promise<number> {
    const [row] = await knex('artifacts')
      .insert({
        processor,
        id,
        config: '{}',
        is_root: true,
        tags: tags ? JSON.stringify(tags) : null,
        created_at: T0,
        updated_at: T0,
      })
      .returning('ref');
    return typeof row === 'object' ? row.ref : row;
  }

  async function version(artifactRef: number, v: string, status: string): Promise<number> {
    const [row] = await knex('artifact_versions')
      .insert({ artifact_ref: artifactRef, version: v, status, discovered_at: T0, published_at: T0 })
      .returning('ref');
    return typeof row === 'object' ? row.ref : row;
  }

  async function file(versionRef: number, name: string, collected: boolean, extra = {}) {
    await knex('artifact_files').insert({
      version_ref: versionRef,
      name,
      uri: `http://upstream.test/${name}`,
      folder: `app/-/${name}`,
      storage_key: `npm/app/-/${name}`,
      integrity_algorithm: 'sha512',
      integrity_digest: 'B'.repeat(128),
      size: collected ? 5_000_000_000 : null,
      status: collected ? 'collected' : 'pending',
      collected,
      collected_at: collected ? T0 : null,
      collected_digest: collected ? SHA256 : null,
      verified: true,
      ...extra,
    });
  }

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    store = (await createBackpackStores({ database: { getClient: async () => knex } })).mirror;

    appRef = await artifact('npm', 'app', { latest: '1.0.0' });
    const v1 = await version(appRef, '1.0.0', 'selected');
    await file(v1, 'app-1.0.0.tgz', true);
    const v2 = await version(appRef, '2.0.0', 'selected');
    await file(v2, 'app-2.0.0.tgz', true);
    await file(v2, 'extra.tgz', false);
    // Collected once, then deselected: no longer served.
    const v3 = await version(appRef, '3.0.0', 'discovered');
    await file(v3, 'app-3.0.0.tgz', true);
    // Selected but nothing collected yet.
    const v4 = await version(appRef, '4.0.0', 'selected');
    await file(v4, 'app-4.0.0.tgz', false, { storage_key: 'npm/app/-/app-4.0.0.tgz' });
    await knex('artifact_dependencies').insert({
      version_ref: v1,
      processor: 'npm',
      dependency_id: 'lib',
      range: '^1.0.0',
      kind: 'runtime',
    });
    await artifact('npm', 'nothing-collected');
  });

  it('lists selected versions with collected files, flagging incomplete ones', async () => {
    const versions = await store.listMirroredVersions(appRef);
    expect(versions.map(v => [v.version, v.complete, v.files.map(f => f.name)]).sort()).toEqual([
      ['1.0.0', true, ['app-1.0.0.tgz']],
      ['2.0.0', false, ['app-2.0.0.tgz']],
    ]);
    // Booleans, bigints and timestamps read the same on both databases.
    expect(versions.find(v => v.version === '1.0.0')!.files[0]).toEqual({
      name: 'app-1.0.0.tgz',
      path: 'app/-/app-1.0.0.tgz',
      storageKey: 'npm/app/-/app-1.0.0.tgz',
      integrity: { algorithm: 'sha512', digest: 'b'.repeat(128) },
      sha256: SHA256,
      size: 5_000_000_000,
      collectedAt: T0,
      verified: true,
    });
  });

  it('finds exactly the named file of one version of one artifact, whatever its key', async () => {
    const found = await store.findCollectedFileOf({
      processor: 'npm',
      id: 'app',
      version: '2.0.0',
      name: 'app-2.0.0.tgz',
    });
    expect(found).toMatchObject({
      artifact: { processor: 'npm', id: 'app' },
      version: '2.0.0',
      file: { name: 'app-2.0.0.tgz', storageKey: 'npm/app/-/app-2.0.0.tgz', verified: true },
    });
    const missing = [
      { processor: 'npm', id: 'app', version: '1.0.0', name: 'app-2.0.0.tgz' }, // another version's
      { processor: 'npm', id: 'app', version: '3.0.0', name: 'app-3.0.0.tgz' }, // deselected
      { processor: 'npm', id: 'app', version: '2.0.0', name: 'extra.tgz' }, // not collected
      { processor: 'pypi', id: 'app', version: '2.0.0', name: 'app-2.0.0.tgz' },
      { processor: 'npm', id: 'nothing-collected', version: '2.0.0', name: 'app-2.0.0.tgz' },
    ];
    for (const other of missing) expect(await store.findCollectedFileOf(other)).toBeUndefined();
  });

  it('lists the versions that declare a file name, with the file where it is served', async () => {
    const v5 = await version(appRef, '5.0.0', 'selected');
    await file(v5, 'shared.tgz', true, { storage_key: 'files/npm/app/5.0.0/shared.tgz' });
    const v6 = await version(appRef, '6.0.0', 'selected');
    await file(v6, 'shared.tgz', false, { storage_key: 'files/npm/app/6.0.0/shared.tgz' });
    const shared = await store.listFilesNamed(appRef, 'shared.tgz');
    expect(shared.map(s => [s.version, s.file?.storageKey]).sort()).toEqual([
      ['5.0.0', 'files/npm/app/5.0.0/shared.tgz'],
      ['6.0.0', undefined],
    ]);
    expect(await store.listFilesNamed(appRef, 'app-3.0.0.tgz')).toEqual([{ version: '3.0.0' }]);
    expect(await store.listFilesNamed(appRef, 'none.tgz')).toEqual([]);
  });

  it('finds a collected file of a selected version by storage key, and nothing else', async () => {
    const found = await store.findCollectedFile('npm', 'npm/app/-/app-1.0.0.tgz');
    expect(found).toMatchObject({
      artifact: { processor: 'npm', id: 'app', root: true, tags: { latest: '1.0.0' } },
      version: '1.0.0',
      file: { name: 'app-1.0.0.tgz' },
    });
    expect(await store.findCollectedFile('npm', 'npm/app/-/app-3.0.0.tgz')).toBeUndefined();
    expect(await store.findCollectedFile('npm', 'npm/app/-/app-4.0.0.tgz')).toBeUndefined();
    expect(await store.findCollectedFile('pypi', 'npm/app/-/app-1.0.0.tgz')).toBeUndefined();
  });

  it('lists only artifacts with something mirrored', async () => {
    expect((await store.listMirroredArtifacts('npm')).map(a => a.id)).toEqual(['app']);
    expect(await store.listMirroredArtifacts('maven')).toEqual([]);
  });

  it('reads declared dependencies by version', async () => {
    const deps = await store.getDeclaredDependencies(appRef, ['1.0.0', '2.0.0']);
    expect(deps.get('1.0.0')).toEqual([
      { processor: 'npm', id: 'lib', range: '^1.0.0', kind: 'runtime' },
    ]);
    expect(deps.get('2.0.0')).toBeUndefined();
  });
});
