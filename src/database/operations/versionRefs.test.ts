import { describeOnEachDatabase, npmArtifact } from '../__testUtils__/storeFixtures';
import { versionRefs } from './versionRefs';

jest.setTimeout(60_000);

const key = (artifactRef: number, version: string) => `${artifactRef}\u0000${version}`;

describeOnEachDatabase('versionRefs', db => {
  it('finds the refs of versions of several artifacts by (artifact, version), leaving out unknown ones', async () => {
    const a = await npmArtifact(db.stores, 'a', ['1.0.0', '2.0.0']);
    const b = await npmArtifact(db.stores, 'b', ['1.0.0']);
    const stored = new Map(
      (await db.knex('artifact_versions').select('ref', 'artifact_ref', 'version')).map(
        (r: { ref: number; artifact_ref: number; version: string }) => [key(r.artifact_ref, r.version), r.ref],
      ),
    );

    const refs = await versionRefs(db.knex, [
      [a, '2.0.0'],
      [b, '1.0.0'],
      [b, '2.0.0'],
    ]);
    expect(refs).toEqual(
      new Map([
        [key(a, '2.0.0'), stored.get(key(a, '2.0.0'))],
        [key(b, '1.0.0'), stored.get(key(b, '1.0.0'))],
      ]),
    );
  });
});
