import { describeOnEachDatabase, npmVersion, rootArtifact as base } from '../__testUtils__/storeFixtures';
import { setResolutions } from './setResolutions';

jest.setTimeout(60_000);

const resolution = { processor: 'npm', kind: 'runtime' as const };

describeOnEachDatabase('setResolutions', db => {
  it('records resolved versions and a run’s own reason, writing only what changed', async () => {
    const { ref } = await db.stores.artifacts.createArtifact({ ...base, id: 'resolving' });
    const declared = npmVersion('1.0.0', [['ok', '^1'], ['missing', '^9']]);
    declared.dependencies.push({ processor: 'npm', id: 'git', range: 'github:x/y', kind: 'runtime', unresolvable: 'a git URL' });
    await db.stores.versions.syncVersions(ref, [declared]);
    const resolutions = [
      { ...resolution, version: '1.0.0', id: 'ok', range: '^1', resolved: ['1.2.3'] },
      { ...resolution, version: '1.0.0', id: 'missing', range: '^9', resolved: [], unresolvable: 'no version satisfies ^9' },
      // The processor's own reason is not a resolution error.
      { ...resolution, version: '1.0.0', id: 'git', range: 'github:x/y', resolved: [], unresolvable: 'a git URL' },
      // Not stored: ignored.
      { ...resolution, version: '1.0.0', id: 'other', range: '^1', resolved: ['1.0.0'] },
      { ...resolution, version: '9.9.9', id: 'ok', range: '^1', resolved: ['1.0.0'] },
    ];
    expect(await setResolutions(db.knex, ref, resolutions)).toBe(2);
    expect(await setResolutions(db.knex, ref, resolutions)).toBe(0);
    const rows = await db.knex('artifact_dependencies').orderBy('dependency_id').select('dependency_id', 'resolved', 'unresolvable', 'resolution_error');
    expect(rows).toEqual([
      { dependency_id: 'git', resolved: '[]', unresolvable: 'a git URL', resolution_error: null },
      { dependency_id: 'missing', resolved: '[]', unresolvable: null, resolution_error: 'no version satisfies ^9' },
      { dependency_id: 'ok', resolved: '["1.2.3"]', unresolvable: null, resolution_error: null },
    ]);
    // Resolved by a later run: the error goes.
    expect(
      await setResolutions(db.knex, ref, [{ ...resolution, version: '1.0.0', id: 'missing', range: '^9', resolved: ['9.0.0'] }]),
    ).toBe(1);
    expect(await db.knex('artifact_dependencies').where({ dependency_id: 'missing' }).first()).toMatchObject({
      resolved: '["9.0.0"]',
      resolution_error: null,
    });
  });
});
