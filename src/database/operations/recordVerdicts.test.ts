import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { AdmissionVerdict } from '../../admission/types';
import { BackpackStores } from '../createBackpackStores';
import { clearTables, createTestStores, npmVersion, rootArtifact } from '../__testUtils__/storeFixtures';
import { recordVerdicts } from './recordVerdicts';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const allow: AdmissionVerdict = { decision: 'allow', reasons: [], revision: 'r1' };
const deny: AdmissionVerdict = {
  decision: 'deny',
  reasons: [{ check: 'deny-list', decision: 'deny', reason: 'on the deny list' }],
  revision: 'r1',
};

describe.each(databases.eachSupportedId())('recordVerdicts on %p', databaseId => {
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
    await stores.versions.syncVersions(b, [npmVersion('1.0.0')]);
  });

  afterEach(async () => {
    await knex('version_admissions').delete();
    await clearTables(knex);
  });

  const decisions = async (ref: number) =>
    Object.fromEntries(
      [...(await stores.admissions.listAdmissions(ref)).values()].map(x => [x.version, [x.decision, x.revision]]),
    );

  it('records the verdicts of many artifacts at once and writes nothing when they did not change', async () => {
    const entries = [
      { artifactRef: a, verdicts: [{ version: '1.0.0', verdict: allow }, { version: '2.0.0', verdict: deny }] },
      // A version that is not stored is left out.
      { artifactRef: b, verdicts: [{ version: '1.0.0', verdict: allow }, { version: '9.9.9', verdict: allow }] },
    ];
    expect(await recordVerdicts(knex, entries)).toBe(3);
    expect(await decisions(a)).toEqual({ '1.0.0': ['allow', 'r1'], '2.0.0': ['deny', 'r1'] });
    expect(await decisions(b)).toEqual({ '1.0.0': ['allow', 'r1'] });
    expect(await recordVerdicts(knex, entries)).toBe(0);
  });

  it('rewrites only the verdicts that changed, and keeps approvals', async () => {
    await recordVerdicts(knex, [{ artifactRef: a, verdicts: [{ version: '1.0.0', verdict: allow }, { version: '2.0.0', verdict: allow }] }]);
    await stores.admissions.setApproval(a, '2.0.0', {
      approval: { decision: 'approved', by: 'user:default/ada', at: new Date().toISOString() },
      verdict: allow,
      status: 'selected',
    });
    const r2 = { ...allow, revision: 'r2' };
    expect(
      await recordVerdicts(knex, [{ artifactRef: a, verdicts: [{ version: '1.0.0', verdict: allow }, { version: '2.0.0', verdict: r2 }] }]),
    ).toBe(1);
    const stored = await stores.admissions.listAdmissions(a);
    expect(stored.get('2.0.0')).toMatchObject({ revision: 'r2', approval: { decision: 'approved', by: 'user:default/ada' } });
    expect(stored.get('1.0.0')).toMatchObject({ revision: 'r1' });
  });

  it('compares with every stored verdict in one pass when a run records many', async () => {
    const versions = Array.from({ length: 1001 }, (_, i) => `3.0.${i}`);
    await stores.versions.syncVersions(b, versions.map(v => npmVersion(v)));
    const entries = (verdict: AdmissionVerdict, changed?: string) => [
      { artifactRef: b, verdicts: versions.map(version => ({ version, verdict: version === changed ? deny : verdict })) },
    ];
    expect(await recordVerdicts(knex, entries(allow))).toBe(1001);
    expect(await recordVerdicts(knex, entries(allow))).toBe(0);
    expect(await recordVerdicts(knex, entries(allow, '3.0.500'))).toBe(1);
    expect((await stores.admissions.listAdmissions(b, ['3.0.500', '3.0.501'])).get('3.0.500')?.decision).toBe('deny');
  });

  it('does nothing for no verdicts', async () => {
    expect(await recordVerdicts(knex, [{ artifactRef: a, verdicts: [] }])).toBe(0);
  });
});
