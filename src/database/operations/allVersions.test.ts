import { describeOnEachDatabase, npmVersion, rootArtifact } from '../__testUtils__/storeFixtures';
import { allVersions } from './allVersions';

jest.setTimeout(60_000);

describeOnEachDatabase('allVersions', db => {
  it('reads every version by artifact, and the dependencies of the selected ones only, as getVersionsOf does', async () => {
    const a = (await db.stores.artifacts.createArtifact({ ...rootArtifact, id: 'a' })).ref;
    const b = (await db.stores.artifacts.createArtifact({ ...rootArtifact, id: 'b' })).ref;
    await db.stores.versions.syncVersions(a, [npmVersion('1.0.0', [['b', '^1.0.0']]), npmVersion('2.0.0', [['b', '^2.0.0']])]);
    await db.stores.versions.syncVersions(b, [npmVersion('1.0.0')]);
    await db.stores.versions.setSelection(a, [{ version: '1.0.0', status: 'selected', selection: [{ type: 'all-versions' }] }]);

    const all = await allVersions(db.knex);
    expect(all).toEqual(await db.stores.versions.getVersionsOf([a, b]));
    const [selected, other] = all.get(a)!;
    expect(selected).toMatchObject({ version: '1.0.0', status: 'selected', dependencies: [expect.objectContaining({ id: 'b', range: '^1.0.0' })] });
    expect(other).toMatchObject({ version: '2.0.0', status: 'discovered', dependencies: [] });
    expect(all.get(b)!.map(v => v.version)).toEqual(['1.0.0']);
  });
});
