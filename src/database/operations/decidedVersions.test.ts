import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { BackpackStores } from '../createBackpackStores';
import { clearTables, createTestStores, npmVersion, rootArtifact } from '../__testUtils__/storeFixtures';
import { decidedVersions } from './decidedVersions';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('decidedVersions on %p', databaseId => {
  let knex: Knex;
  let stores: BackpackStores;

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    stores = await createTestStores(knex);
  });

  afterEach(() => clearTables(knex));

  it('reads the versions of many artifacts with the statuses asked for, newest first, an entry per artifact', async () => {
    const a = (await stores.artifacts.createArtifact({ ...rootArtifact, id: 'a' })).ref;
    const b = (await stores.artifacts.createArtifact({ ...rootArtifact, id: 'b' })).ref;
    const c = (await stores.artifacts.createArtifact({ ...rootArtifact, id: 'c' })).ref;
    await stores.versions.syncVersions(a, ['1.0.0', '1.1.0', '2.0.0'].map(v => npmVersion(v)));
    await stores.versions.syncVersions(b, [npmVersion('1.0.0')]);
    await stores.versions.setSelection(a, [
      { version: '1.0.0', status: 'selected', selection: [{ type: 'all-versions' }] },
      { version: '1.1.0', status: 'selected', selection: [] },
      { version: '2.0.0', status: 'denied', selection: [{ type: 'denied', reason: 'no' }] },
    ]);
    await stores.versions.setSelection(b, [{ version: '1.0.0', status: 'pending-approval', selection: [] }]);

    const decided = await decidedVersions(knex, [a, b, c], ['selected', 'denied']);
    expect(decided.get(a)).toEqual([
      { version: '2.0.0', status: 'denied', selection: [{ type: 'denied', reason: 'no' }] },
      { version: '1.1.0', status: 'selected', selection: [] },
      { version: '1.0.0', status: 'selected', selection: [{ type: 'all-versions' }] },
    ]);
    expect(decided.get(b)).toEqual([]);
    expect(decided.get(c)).toEqual([]);
  });
});
