import { NotFoundError } from '@backstage/errors';
import { describeOnEachDatabase, npmVersion as version, rootArtifact as base } from '../__testUtils__/storeFixtures';
import { deleteArtifact } from './deleteArtifact';

jest.setTimeout(60_000);

describeOnEachDatabase('deleteArtifact', db => {
  it('deletes an artifact with its rows and reports orphaned storage keys', async () => {
    const a = await db.stores.artifacts.createArtifact({ ...base, id: 'a' });
    const b = await db.stores.artifacts.createArtifact({ ...base, id: 'b' });
    await db.stores.versions.syncVersions(a.ref, [version('1.0.0', [['dep', '^1']]), version('2.0.0')]);
    // b's processor gives its file the same path as a's: the keys differ
    // all the same, so deleting a orphans both of its keys and none of b's.
    await db.stores.versions.syncVersions(b.ref, [version('1.0.0')]);
    const { orphanedStorageKeys, rowsDeleted } = await deleteArtifact(db.knex, a.ref);
    expect(orphanedStorageKeys.sort()).toEqual([
      'files/npm/a/1.0.0/pkg-1.0.0.tgz',
      'files/npm/a/2.0.0/pkg-2.0.0.tgz',
    ]);
    // The artifact, two versions, two files, one dependency.
    expect(rowsDeleted).toBe(6);
    expect(await db.stores.artifacts.getArtifact('npm', 'a')).toBeUndefined();
    expect(await db.knex('artifact_versions').where({ artifact_ref: a.ref })).toEqual([]);
    expect(await db.knex('artifact_dependencies')).toEqual([]);
    expect(await db.stores.files.isStorageKeyReferenced('files/npm/b/1.0.0/pkg-1.0.0.tgz')).toBe(true);
  });

  it('keeps a storage key another file still references', async () => {
    const a = await db.stores.artifacts.createArtifact({ ...base, id: 'a' });
    const b = await db.stores.artifacts.createArtifact({ ...base, id: 'b' });
    await db.stores.versions.syncVersions(a.ref, [version('1.0.0')]);
    await db.stores.versions.syncVersions(b.ref, [version('1.0.0')]);
    // Left from an earlier key layout: both rows point at one object.
    await db.knex('artifact_files').update({ storage_key: 'npm/pkg/-/pkg-1.0.0.tgz' });
    expect((await deleteArtifact(db.knex, a.ref)).orphanedStorageKeys).toEqual([]);
    expect((await deleteArtifact(db.knex, b.ref)).orphanedStorageKeys).toEqual(['npm/pkg/-/pkg-1.0.0.tgz']);
  });

  it('never orphans a content-addressed blob another artifact lists', async () => {
    const digest = 'e'.repeat(64);
    const blob = {
      version: '1.0',
      files: [{ name: `sha256:${digest}`, uri: 'http://r.test/b', path: 'b', integrity: { algorithm: 'sha256' as const, digest }, contentAddressed: true }],
      dependencies: [],
    };
    const a = await db.stores.artifacts.createArtifact({ ...base, processor: 'oci', id: 'r/a' });
    const b = await db.stores.artifacts.createArtifact({ ...base, processor: 'oci', id: 'r/b' });
    await db.stores.versions.syncVersions(a.ref, [blob]);
    await db.stores.versions.syncVersions(b.ref, [blob]);
    expect((await deleteArtifact(db.knex, a.ref)).orphanedStorageKeys).toEqual([]);
    expect((await deleteArtifact(db.knex, b.ref)).orphanedStorageKeys).toEqual([`blobs/sha256/${digest}`]);
  });

  it('refuses an artifact that is gone, deleting nothing', async () => {
    await expect(deleteArtifact(db.knex, 424242)).rejects.toThrow(NotFoundError);
    await expect(db.stores.artifacts.deleteArtifact(424242)).rejects.toThrow(NotFoundError);
  });
});
