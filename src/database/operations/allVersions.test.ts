import { describeOnEachDatabase, npmVersion, rootArtifact } from '../__testUtils__/storeFixtures';
import { allVersions } from './allVersions';

jest.setTimeout(60_000);

describeOnEachDatabase('allVersions', db => {
  it('reads every version by artifact, and the dependencies of the selected ones only, as getVersionsOf does', async () => {
    const a = (await db.stores.artifacts.createArtifact({ ...rootArtifact, id: 'a' })).ref;
    const b = (await db.stores.artifacts.createArtifact({ ...rootArtifact, id: 'b' })).ref;
    await db.stores.versions.syncVersions(a, [
      { ...npmVersion('1.0.0', [['b', '^1.0.0']]), publishedAt: '2024-05-06T07:08:09.123Z' },
      npmVersion('2.0.0', [['b', '^2.0.0']]),
    ]);
    await db.stores.versions.syncVersions(b, [npmVersion('1.0.0')]);
    await db.stores.versions.setSelection(a, [{ version: '1.0.0', status: 'selected', selection: [{ type: 'all-versions' }] }]);

    const all = await allVersions(db.knex);
    // What a run walks of each version: all but the reasons and the discovery time.
    const walked = new Map(
      [...(await db.stores.versions.getVersionsOf([a, b]))].map(([ref, versions]) => [
        ref,
        versions.map(({ selection: _s, discoveredAt: _d, ...rest }) => rest),
      ]),
    );
    expect(all).toEqual(walked);
    expect(all.get(a)![0].publishedAt).toBe('2024-05-06T07:08:09.123Z');
    const [selected, other] = all.get(a)!;
    expect(selected).toMatchObject({ version: '1.0.0', status: 'selected', dependencies: [expect.objectContaining({ id: 'b', range: '^1.0.0' })] });
    expect(other).toMatchObject({ version: '2.0.0', status: 'discovered', dependencies: [] });
    expect(all.get(b)!.map(v => v.version)).toEqual(['1.0.0']);
  });

  it('reads whether each version is described: a listing-only version is not, and a 304 must describe it when the walk needs it', async () => {
    const a = (await db.stores.artifacts.createArtifact({ ...rootArtifact, id: 'a' })).ref;
    await db.stores.versions.syncVersions(a, [npmVersion('1.0.0')]);
    await db.stores.versions.syncVersions(a, [npmVersion('2.0.0')], { listingOnly: true });

    const byVersion = Object.fromEntries((await allVersions(db.knex)).get(a)!.map(v => [v.version, v.described]));
    expect(byVersion).toEqual({ '1.0.0': true, '2.0.0': false });
    const viaStore = (await db.stores.versions.getVersionsOf([a])).get(a)!;
    expect(Object.fromEntries(viaStore.map(v => [v.version, v.described]))).toEqual(byVersion);
  });
});
