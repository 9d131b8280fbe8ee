import { TestDatabases } from '@backstage/backend-test-utils';
import { NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { BackpackStores } from '../createBackpackStores';
import { clearTables, createTestStores, npmVersion as version, rootArtifact as base } from '../__testUtils__/storeFixtures';
import { deleteArtifact } from './deleteArtifact';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('deleteArtifact on %p', databaseId => {
  let knex: Knex;
  let stores: BackpackStores;

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    stores = await createTestStores(knex);
  });

  afterEach(() => clearTables(knex));

  it('deletes an artifact with its rows and reports orphaned storage keys', async () => {
    const a = await stores.artifacts.createArtifact({ ...base, id: 'a' });
    const b = await stores.artifacts.createArtifact({ ...base, id: 'b' });
    await stores.versions.syncVersions(a.ref, [version('1.0.0', [['dep', '^1']]), version('2.0.0')]);
    // b's processor gives its file the same path as a's: the keys differ
    // all the same, so deleting a orphans both of its keys and none of b's.
    await stores.versions.syncVersions(b.ref, [version('1.0.0')]);
    const { orphanedStorageKeys, rowsDeleted } = await deleteArtifact(knex, a.ref);
    expect(orphanedStorageKeys.sort()).toEqual([
      'files/npm/a/1.0.0/pkg-1.0.0.tgz',
      'files/npm/a/2.0.0/pkg-2.0.0.tgz',
    ]);
    // The artifact, two versions, two files, one dependency.
    expect(rowsDeleted).toBe(6);
    expect(await stores.artifacts.getArtifact('npm', 'a')).toBeUndefined();
    expect(await knex('artifact_versions').where({ artifact_ref: a.ref })).toEqual([]);
    expect(await knex('artifact_dependencies')).toEqual([]);
    expect(await stores.files.isStorageKeyReferenced('files/npm/b/1.0.0/pkg-1.0.0.tgz')).toBe(true);
  });

  it('keeps a storage key another file still references', async () => {
    const a = await stores.artifacts.createArtifact({ ...base, id: 'a' });
    const b = await stores.artifacts.createArtifact({ ...base, id: 'b' });
    await stores.versions.syncVersions(a.ref, [version('1.0.0')]);
    await stores.versions.syncVersions(b.ref, [version('1.0.0')]);
    // Left from an earlier key layout: both rows point at one object.
    await knex('artifact_files').update({ storage_key: 'npm/pkg/-/pkg-1.0.0.tgz' });
    expect((await deleteArtifact(knex, a.ref)).orphanedStorageKeys).toEqual([]);
    expect((await deleteArtifact(knex, b.ref)).orphanedStorageKeys).toEqual(['npm/pkg/-/pkg-1.0.0.tgz']);
  });

  it('never orphans a content-addressed blob another artifact lists', async () => {
    const digest = 'e'.repeat(64);
    const blob = {
      version: '1.0',
      files: [{ name: `sha256:${digest}`, uri: 'http://r.test/b', path: 'b', integrity: { algorithm: 'sha256' as const, digest }, contentAddressed: true }],
      dependencies: [],
    };
    const a = await stores.artifacts.createArtifact({ ...base, processor: 'oci', id: 'r/a' });
    const b = await stores.artifacts.createArtifact({ ...base, processor: 'oci', id: 'r/b' });
    await stores.versions.syncVersions(a.ref, [blob]);
    await stores.versions.syncVersions(b.ref, [blob]);
    expect((await deleteArtifact(knex, a.ref)).orphanedStorageKeys).toEqual([]);
    expect((await deleteArtifact(knex, b.ref)).orphanedStorageKeys).toEqual([`blobs/sha256/${digest}`]);
  });

  it('refuses an artifact that is gone, deleting nothing', async () => {
    await expect(deleteArtifact(knex, 424242)).rejects.toThrow(NotFoundError);
    await expect(stores.artifacts.deleteArtifact(424242)).rejects.toThrow(NotFoundError);
  });
});
