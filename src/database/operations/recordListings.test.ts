import { NotFoundError } from '@backstage/errors';
import { describeOnEachDatabase, npmVersion, rootArtifact as base } from '../__testUtils__/storeFixtures';
import { recordListings } from './recordListings';

jest.setTimeout(60_000);

describeOnEachDatabase('recordListings', db => {
  const create = async (id: string) => (await db.stores.artifacts.createArtifact({ ...base, id })).ref;
  const outcome = (etag: string) => ({ runId: 'run-1', status: 'ok' as const, validators: { etag }, warnings: [] });

  it("stores each artifact's new versions undescribed with its outcome, and returns the listed rows", async () => {
    const [a, b] = [await create('a'), await create('b')];
    await db.stores.versions.syncVersions(a, [npmVersion('1.0.0')]);
    const { listed, result } = await recordListings(db.knex, [
      { artifactRef: a, versions: [npmVersion('1.0.0'), npmVersion('2.0.0')], outcome: outcome('"a"') },
      { artifactRef: b, versions: [npmVersion('0.1.0')], outcome: outcome('"b"') },
    ]);
    expect(result.versionsAdded).toBe(2);
    expect([...listed[0].keys()]).toEqual(['1.0.0', '2.0.0']);
    // Described by the earlier sync; the listing's new version is not.
    expect(listed[0].get('1.0.0')!.described).toBe(true);
    expect(listed[0].get('2.0.0')!.described).toBe(false);
    expect([...listed[1].keys()]).toEqual(['0.1.0']);

    const versions = await db.stores.versions.getVersions(a);
    expect(versions.map(v => [v.version, v.described, v.ref])).toEqual([
      ['1.0.0', true, listed[0].get('1.0.0')!.ref],
      ['2.0.0', false, listed[0].get('2.0.0')!.ref],
    ]);
    // A listing stores no files or dependencies.
    expect(await db.knex('artifact_files').whereIn('version_ref', [listed[0].get('2.0.0')!.ref])).toEqual([]);
    expect(await db.stores.artifacts.getArtifact('npm', 'a')).toMatchObject({ status: 'ok', validators: { etag: '"a"' } });
    expect(await db.stores.artifacts.getArtifact('npm', 'b')).toMatchObject({ status: 'ok', validators: { etag: '"b"' } });
  });

  it('writes nothing for a listing it stored already', async () => {
    const a = await create('a');
    const entry = { artifactRef: a, versions: [npmVersion('1.0.0')], outcome: outcome('"a"') };
    await recordListings(db.knex, [entry]);
    const again = await recordListings(db.knex, [entry]);
    expect(again.result.rowsWritten).toBe(0);
  });

  it('stores nothing of any entry when an artifact is gone', async () => {
    const a = await create('a');
    await expect(
      recordListings(db.knex, [
        { artifactRef: a, versions: [npmVersion('1.0.0')], outcome: outcome('"a"') },
        { artifactRef: a + 1000, versions: [npmVersion('1.0.0')], outcome: outcome('"x"') },
      ]),
    ).rejects.toThrow(NotFoundError);
    expect(await db.stores.versions.getVersions(a)).toEqual([]);
    expect((await db.stores.artifacts.getArtifact('npm', 'a'))!.validators).toBeUndefined();
  });
});
