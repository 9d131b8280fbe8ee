import { evidenceKey } from '../AdmissionStore';
import { describeOnEachDatabase, npmArtifact } from '../__testUtils__/storeFixtures';
import { storedEvidence } from './storedEvidence';

jest.setTimeout(60_000);

describeOnEachDatabase('storedEvidence', db => {
  let a: number;
  let b: number;

  beforeEach(async () => {
    a = await npmArtifact(db.stores, 'a', ['1.0.0', '2.0.0']);
    b = await npmArtifact(db.stores, 'b', ['3.0.0']);
    await db.stores.admissions.recordFacts(a, [{ version: '1.0.0', facts: { license: 'MIT', deprecated: 'use 2' } }]);
  });

  it('reads the facts and files of the versions asked for, of several artifacts in one call', async () => {
    const evidence = await storedEvidence(db.knex, [
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
    const byArtifact = await db.stores.admissions.storedFacts('npm', 'a');
    const batched = await storedEvidence(db.knex, [
      { artifactRef: a, version: '1.0.0' },
      { artifactRef: a, version: '2.0.0' },
    ]);
    for (const version of ['1.0.0', '2.0.0']) {
      expect(batched.get(evidenceKey(a, version))).toEqual(byArtifact.get(version));
    }
  });
});
