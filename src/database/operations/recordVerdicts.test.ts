import { AdmissionVerdict } from '../../admission/types';
import { describeOnEachDatabase, npmArtifact, npmVersion } from '../__testUtils__/storeFixtures';
import { recordVerdicts } from './recordVerdicts';

jest.setTimeout(60_000);

const allow: AdmissionVerdict = { decision: 'allow', reasons: [], revision: 'r1' };
const deny: AdmissionVerdict = {
  decision: 'deny',
  reasons: [{ check: 'deny-list', decision: 'deny', reason: 'on the deny list' }],
  revision: 'r1',
};

describeOnEachDatabase('recordVerdicts', db => {
  let a: number;
  let b: number;

  beforeEach(async () => {
    a = await npmArtifact(db.stores, 'a', ['1.0.0', '2.0.0']);
    b = await npmArtifact(db.stores, 'b', ['1.0.0']);
  });

  const decisions = async (ref: number) =>
    Object.fromEntries(
      [...(await db.stores.admissions.listAdmissions(ref)).values()].map(x => [x.version, [x.decision, x.revision]]),
    );

  it('records the verdicts of many artifacts at once and writes nothing when they did not change', async () => {
    const entries = [
      { artifactRef: a, verdicts: [{ version: '1.0.0', verdict: allow }, { version: '2.0.0', verdict: deny }] },
      // A version that is not stored is left out.
      { artifactRef: b, verdicts: [{ version: '1.0.0', verdict: allow }, { version: '9.9.9', verdict: allow }] },
    ];
    expect(await recordVerdicts(db.knex, entries)).toBe(3);
    expect(await decisions(a)).toEqual({ '1.0.0': ['allow', 'r1'], '2.0.0': ['deny', 'r1'] });
    expect(await decisions(b)).toEqual({ '1.0.0': ['allow', 'r1'] });
    expect(await recordVerdicts(db.knex, entries)).toBe(0);
  });

  it('rewrites only the verdicts that changed, and keeps approvals', async () => {
    await recordVerdicts(db.knex, [{ artifactRef: a, verdicts: [{ version: '1.0.0', verdict: allow }, { version: '2.0.0', verdict: allow }] }]);
    await db.stores.admissions.setApproval(a, '2.0.0', {
      approval: { decision: 'approved', by: 'user:default/ada', at: new Date().toISOString() },
      verdict: allow,
      status: 'selected',
    });
    const r2 = { ...allow, revision: 'r2' };
    expect(
      await recordVerdicts(db.knex, [{ artifactRef: a, verdicts: [{ version: '1.0.0', verdict: allow }, { version: '2.0.0', verdict: r2 }] }]),
    ).toBe(1);
    const stored = await db.stores.admissions.listAdmissions(a);
    expect(stored.get('2.0.0')).toMatchObject({ revision: 'r2', approval: { decision: 'approved', by: 'user:default/ada' } });
    expect(stored.get('1.0.0')).toMatchObject({ revision: 'r1' });
  });

  it('compares with every stored verdict in one pass when a run records many', async () => {
    const versions = Array.from({ length: 1001 }, (_, i) => `3.0.${i}`);
    await db.stores.versions.syncVersions(b, versions.map(v => npmVersion(v)));
    const entries = (verdict: AdmissionVerdict, changed?: string) => [
      { artifactRef: b, verdicts: versions.map(version => ({ version, verdict: version === changed ? deny : verdict })) },
    ];
    expect(await recordVerdicts(db.knex, entries(allow))).toBe(1001);
    expect(await recordVerdicts(db.knex, entries(allow))).toBe(0);
    expect(await recordVerdicts(db.knex, entries(allow, '3.0.500'))).toBe(1);
    expect((await db.stores.admissions.listAdmissions(b, ['3.0.500', '3.0.501'])).get('3.0.500')?.decision).toBe('deny');
  });

  it('takes the version rows a caller knows where a stored verdict confirms them, and looks up the rest', async () => {
    await recordVerdicts(db.knex, [{ artifactRef: a, verdicts: [{ version: '1.0.0', verdict: allow }, { version: '2.0.0', verdict: allow }] }]);
    const refOf = async (artifactRef: number) =>
      new Map((await db.stores.versions.getVersions(artifactRef)).map(v => [v.version, v.ref]));
    const refsOfA = await refOf(a);
    const statements: string[] = [];
    const onQuery = (q: { sql: string }) => statements.push(q.sql);
    db.knex.on('query', onQuery);
    try {
      const known = (version: string, verdict: AdmissionVerdict) => ({ version, verdict, versionRef: refsOfA.get(version)! });
      expect(await recordVerdicts(db.knex, [{ artifactRef: a, verdicts: [known('1.0.0', allow), known('2.0.0', deny)] }])).toBe(1);
      // Both had verdicts: no version was looked up.
      expect(statements.filter(sql => sql.includes('artifact_versions'))).toEqual([]);

      // A known row without a verdict is looked up before one is inserted;
      // one that is gone (or never was) is left out.
      const refOfB = (await refOf(b)).get('1.0.0')!;
      expect(
        await recordVerdicts(db.knex, [
          { artifactRef: b, verdicts: [{ version: '1.0.0', verdict: allow, versionRef: refOfB }] },
          { artifactRef: a, verdicts: [{ version: '9.9.9', verdict: allow, versionRef: 999_999 }] },
        ]),
      ).toBe(1);
      expect(statements.some(sql => sql.includes('artifact_versions'))).toBe(true);
    } finally {
      db.knex.removeListener('query', onQuery);
    }
    expect(await decisions(a)).toEqual({ '1.0.0': ['allow', 'r1'], '2.0.0': ['deny', 'r1'] });
    expect(await decisions(b)).toEqual({ '1.0.0': ['allow', 'r1'] });
  });

  it('does nothing for no verdicts', async () => {
    expect(await recordVerdicts(db.knex, [{ artifactRef: a, verdicts: [] }])).toBe(0);
  });
});
