import { TestDatabases } from '@backstage/backend-test-utils';
import { MirrorHarness } from '../__testUtils__/mirrorHarness';
import { startVerdaccio, TestNpmRegistry } from '../__testUtils__/verdaccio';

// What a run stores of the versions it does not select: their listing, not
// their files and dependencies; and what a later run answered 304 does when
// it selects one of them.
jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())('files and dependencies of selected versions on %p', databaseId => {
  let registry: TestNpmRegistry;

  beforeAll(async () => {
    registry = await startVerdaccio([
      {
        name: 'sd-app',
        versions: {
          '1.0.0': { dependencies: { 'sd-lib': '^1.0.0' } },
          '2.0.0': { dependencies: { 'sd-lib': '^2.0.0', 'sd-extra': '^1.0.0' } },
        },
      },
      { name: 'sd-lib', versions: { '1.0.0': {}, '1.1.0': {}, '2.0.0': {} } },
      { name: 'sd-extra', versions: { '1.0.0': {} } },
    ]);
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('stores only the selected versions in full, and describes a version a later run selects after a 304', async () => {
    const harness = await MirrorHarness.create(await databases.init(databaseId), { npm: registry.url });
    try {
      const { knex } = harness;
      const app = await harness.addRoot({ processor: 'npm', id: 'sd-app', filter: '1.0.0', filterType: 'semver' });
      const first = await harness.run();
      expect(await harness.selectedPairs()).toEqual(['sd-app@1.0.0', 'sd-lib@1.1.0']);
      expect(first.counters.filesQueued).toBe(2);
      // Every version is listed; only the selected ones have files and dependencies.
      expect(await knex('artifact_versions').pluck('version')).toHaveLength(5);
      const versionsWithFiles = await knex('artifact_files as f')
        .join('artifact_versions as v', 'v.ref', 'f.version_ref')
        .pluck('v.version');
      expect(versionsWithFiles.sort()).toEqual(['1.0.0', '1.1.0']);
      expect(await knex('artifact_dependencies').pluck('range')).toEqual(['^1.0.0']);

      // Unchanged: every artifact answers 304, nothing is described again.
      const unchanged = { ...harness.upstream.counters };
      await harness.run();
      expect(harness.upstream.counters.requests - unchanged.requests).toBe(2);
      expect(harness.upstream.counters.notModified - unchanged.notModified).toBe(2);

      // The registry is unchanged: sd-app answers 304, and its version
      // 2.0.0, never selected, is described from the listing again.
      await harness.stores.artifacts.updateArtifact(app.ref, { filter: '2.0.0' });
      const requestsBefore = { ...harness.upstream.counters };
      const second = await harness.run();
      expect(harness.upstream.counters.notModified - requestsBefore.notModified).toBeGreaterThan(0);
      expect(await harness.selectedPairs()).toEqual(['sd-app@2.0.0', 'sd-extra@1.0.0', 'sd-lib@2.0.0']);
      expect(second.counters.filesQueued).toBe(3);
      const deps = (await harness.stores.versions.getVersions(app.ref)).find(v => v.version === '2.0.0')!;
      expect(deps.described).toBe(true);
      expect(deps.dependencies.map(d => `${d.id}@${d.range}`).sort()).toEqual(['sd-extra@^1.0.0', 'sd-lib@^2.0.0']);
    } finally {
      await harness.close();
    }
  });
});
