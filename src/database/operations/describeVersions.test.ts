import { ProcessorVersion } from '../../processors/types';
import { ListedVersion } from '../VersionGraphStore';
import { describeOnEachDatabase, npmVersion, rootArtifact as base } from '../__testUtils__/storeFixtures';
import { describeVersions } from './describeVersions';
import { syncVersions } from './syncVersions';

jest.setTimeout(60_000);

describeOnEachDatabase('describeVersions', db => {
  const count = async (table: string) => Number((await db.knex(table).count({ n: '*' }))[0].n);
  const described = async (artifactRef: number) =>
    Object.fromEntries((await db.stores.versions.getVersions(artifactRef)).map(v => [v.version, v.described]));
  const listingOf = (...vs: string[]) => vs.map(v => npmVersion(v, [['dep', `^${v}`]]));
  /** Lists versions as a run does; answers the rows the listing returned. */
  const list = async (artifactRef: number, versions: ProcessorVersion[]) =>
    (await syncVersions(db.knex, artifactRef, versions, { listingOnly: true })).listed!;
  const entry = (listed: Map<string, ListedVersion>, version: ProcessorVersion) => ({
    ...listed.get(version.version)!,
    version,
  });

  it('stores the files and dependencies of listed versions of many artifacts, and only of those', async () => {
    const a = await db.stores.artifacts.createArtifact({ ...base, id: 'a' });
    const b = await db.stores.artifacts.createArtifact({ ...base, id: 'b' });
    const listedA = await list(a.ref, listingOf('1.0.0', '2.0.0'));
    const listedB = await list(b.ref, listingOf('1.0.0'));
    expect([...listedA.values()].map(v => v.described)).toEqual([false, false]);
    expect(await count('artifact_files')).toBe(0);
    expect(await described(a.ref)).toEqual({ '1.0.0': false, '2.0.0': false });

    const [a2] = listingOf('2.0.0');
    const [b1] = listingOf('1.0.0');
    const result = await describeVersions(db.knex, [
      { artifact: a, versions: [{ ...entry(listedA, a2), resolutions: [{ ...a2.dependencies[0], resolved: ['2.1.0'] }] }] },
      { artifact: b, versions: [entry(listedB, b1)] },
    ]);
    expect(result).toMatchObject({ versionsAdded: 0, filesAdded: 2, dependenciesAdded: 2 });
    expect(await described(a.ref)).toEqual({ '1.0.0': false, '2.0.0': true });
    expect(await described(b.ref)).toEqual({ '1.0.0': true });
    expect((await db.stores.versions.listFiles(a.ref, '2.0.0', { limit: 10, offset: 0 }))!.items).toEqual([
      expect.objectContaining({ name: 'pkg-2.0.0.tgz', storageKey: 'files/npm/a/2.0.0/pkg-2.0.0.tgz', status: 'pending' }),
    ]);
    expect((await db.stores.versions.listFiles(a.ref, '1.0.0', { limit: 10, offset: 0 }))!.items).toEqual([]);
    const versionsOfA = await db.stores.versions.getVersions(a.ref);
    // Stored with the run's resolution: recording it again changes nothing.
    expect(versionsOfA.find(v => v.version === '2.0.0')!.dependencies).toEqual([
      expect.objectContaining({ id: 'dep', range: '^2.0.0', resolved: ['2.1.0'] }),
    ]);
    expect(versionsOfA.find(v => v.version === '1.0.0')!.dependencies).toEqual([]);
    expect(
      await db.stores.versions.setResolutions(a.ref, [
        { version: '2.0.0', processor: 'npm', id: 'dep', kind: 'runtime', range: '^2.0.0', resolved: ['2.1.0'] },
      ]),
    ).toBe(0);

    // Listed again and described already: unchanged, nothing is written.
    const again = await list(a.ref, listingOf('1.0.0', '2.0.0'));
    expect(again.get('2.0.0')!.described).toBe(true);
    expect((await describeVersions(db.knex, [{ artifact: a, versions: [entry(again, a2)] }])).rowsWritten).toBe(0);
    // A dependency the version no longer declares goes.
    const changed = await describeVersions(db.knex, [{ artifact: a, versions: [entry(again, npmVersion('2.0.0'))] }]);
    expect(changed.rowsWritten).toBe(1);
    expect((await db.stores.versions.getVersions(a.ref)).find(v => v.version === '2.0.0')!.dependencies).toEqual([]);
  });
});
