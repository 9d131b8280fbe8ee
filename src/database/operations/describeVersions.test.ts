import { TestDatabases } from '@backstage/backend-test-utils';
import { NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { BackpackStores } from '../createBackpackStores';
import { clearTables, createTestStores, npmVersion, rootArtifact as base } from '../__testUtils__/storeFixtures';
import { describeVersions } from './describeVersions';
import { syncVersions } from './syncVersions';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('describeVersions on %p', databaseId => {
  let knex: Knex;
  let stores: BackpackStores;

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    stores = await createTestStores(knex);
  });

  afterEach(() => clearTables(knex));

  const count = async (table: string) => Number((await knex(table).count({ n: '*' }))[0].n);
  const described = async (artifactRef: number) =>
    Object.fromEntries((await stores.versions.getVersions(artifactRef)).map(v => [v.version, v.described]));

  it('stores the files and dependencies of listed versions of many artifacts, and only of those', async () => {
    const a = await stores.artifacts.createArtifact({ ...base, id: 'a' });
    const b = await stores.artifacts.createArtifact({ ...base, id: 'b' });
    const listingOf = (...vs: string[]) => vs.map(v => npmVersion(v, [['dep', `^${v}`]]));
    await syncVersions(knex, a.ref, listingOf('1.0.0', '2.0.0'), { listingOnly: true });
    await syncVersions(knex, b.ref, listingOf('1.0.0'), { listingOnly: true });
    expect(await count('artifact_files')).toBe(0);
    expect(await described(a.ref)).toEqual({ '1.0.0': false, '2.0.0': false });

    const result = await describeVersions(knex, [
      { artifactRef: a.ref, versions: listingOf('2.0.0') },
      { artifactRef: b.ref, versions: listingOf('1.0.0') },
    ]);
    expect(result).toMatchObject({ versionsAdded: 0, filesAdded: 2, dependenciesAdded: 2 });
    expect(await described(a.ref)).toEqual({ '1.0.0': false, '2.0.0': true });
    expect(await described(b.ref)).toEqual({ '1.0.0': true });
    expect((await stores.versions.listFiles(a.ref, '2.0.0', { limit: 10, offset: 0 }))!.items).toEqual([
      expect.objectContaining({ name: 'pkg-2.0.0.tgz', storageKey: 'files/npm/a/2.0.0/pkg-2.0.0.tgz', status: 'pending' }),
    ]);
    expect((await stores.versions.listFiles(a.ref, '1.0.0', { limit: 10, offset: 0 }))!.items).toEqual([]);
    const deps = await stores.versions.getVersions(a.ref);
    expect(deps.find(v => v.version === '2.0.0')!.dependencies).toEqual([
      expect.objectContaining({ id: 'dep', range: '^2.0.0' }),
    ]);
    expect(deps.find(v => v.version === '1.0.0')!.dependencies).toEqual([]);

    // Described already and unchanged: nothing is written again.
    const again = await describeVersions(knex, [{ artifactRef: a.ref, versions: listingOf('2.0.0') }]);
    expect(again.rowsWritten).toBe(0);
    // A dependency the version no longer declares goes.
    const changed = await describeVersions(knex, [{ artifactRef: a.ref, versions: [npmVersion('2.0.0')] }]);
    expect(changed.rowsWritten).toBe(1);
    expect((await stores.versions.getVersions(a.ref)).find(v => v.version === '2.0.0')!.dependencies).toEqual([]);
  });

  it('refuses a version that is not listed', async () => {
    const a = await stores.artifacts.createArtifact({ ...base, id: 'a' });
    await expect(describeVersions(knex, [{ artifactRef: a.ref, versions: [npmVersion('9.9.9')] }])).rejects.toThrow(
      NotFoundError,
    );
    expect(await count('artifact_files')).toBe(0);
  });
});
