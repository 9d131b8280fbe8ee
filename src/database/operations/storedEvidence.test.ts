import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { evidenceKey } from '../AdmissionStore';
import { BackpackStores } from '../createBackpackStores';
import { clearTables, createTestStores, npmVersion, rootArtifact } from '../__testUtils__/storeFixtures';
import { storedEvidence } from './storedEvidence';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('storedEvidence on %p', databaseId => {
  let knex: Knex;
  let stores: BackpackStores;
  let a: number;
  let b: number;

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    stores = await createTestStores(knex);
  });

  beforeEach(async () => {
    a = (await stores.artifacts.createArtifact({ ...rootArtifact, id: 'a' })).ref;
    b = (await stores.artifacts.createArtifact({ ...rootArtifact, id: 'b' })).ref;
    await stores.versions.syncVersions(a, [npmVersion('1.0.0'), npmVersion('2.0.0')]);
    await stores.versions.syncVersions(b, [npmVersion('3.0.0')]);
    await stores.admissions.recordFacts(a, [{ version: '1.0.0', facts: { license: 'MIT', deprecated: 'use 2' } }]);
  });

  afterEach(async () => {
    await knex('version_facts').delete();
    await clearTables(knex);
  });

  it('reads the facts and files of the versions asked for, of several artifacts in one call', async () => {
    const evidence = await storedEvidence(knex, [
      { artifactRef: a, version: '1.0.0' },
      { artifactRef: b, version: '3.0.0' },
      { artifactRef: b, version: '3.0.0' },
      { artifactRef: a, version: '9.9.9' },
    ]);
    expect([...evidence.keys()].sort()).toEqual([evidenceKey(a, '1.0.0'), evidenceKey(b, '3.0.0')].sort());
    expect(evidence.get(evidenceKey(a, '1.0.0'))).toEqual({
      facts: { license: 'MIT', deprecated: 'use 2' },
      files: [{ name: 'pkg-1.0.0.tgz', integrity: { algorithm: 'sha512', digest: 'd1.0.0' } }],
    });
    expect(evidence.get(evidenceKey(b, '3.0.0'))).toEqual({
      facts: {},
      files: [{ name: 'pkg-3.0.0.tgz', integrity: { algorithm: 'sha512', digest: 'd3.0.0' } }],
    });
  });

  it('agrees with the per-artifact read', async () => {
    const byArtifact = await stores.admissions.storedFacts('npm', 'a');
    const batched = await storedEvidence(knex, [
      { artifactRef: a, version: '1.0.0' },
      { artifactRef: a, version: '2.0.0' },
    ]);
    for (const version of ['1.0.0', '2.0.0']) {
      expect(batched.get(evidenceKey(a, version))).toEqual(byArtifact.get(version));
    }
  });
});
