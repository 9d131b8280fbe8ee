import { TestDatabases } from '@backstage/backend-test-utils';
import { MirrorHarness, storedRows } from '../__testUtils__/mirrorHarness';
import { readNpmClosure, startNpmCorpusVerdaccio } from '../__testUtils__/npmCorpus';
import { TestNpmRegistry } from '../__testUtils__/verdaccio';

// The runs over the frozen npm corpus (npm run test:corpus); closureRuns.test.ts
// runs the same over generated packages.
jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe('mirror runs over the npm corpus', () => {
  let registry: TestNpmRegistry;

  beforeAll(async () => {
    registry = await startNpmCorpusVerdaccio();
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('selects exactly the express@4.21.2 closure', async () => {
    const harness = await MirrorHarness.create(await databases.init('SQLITE_3'), {
      npm: registry.url,
    });
    try {
      await harness.addRoot({ processor: 'npm', id: 'express', filter: '4.21.2', filterType: 'semver' });
      const run = await harness.run();
      const closure = await readNpmClosure('express');
      expect(await harness.selectedPairs()).toEqual(closure);
      expect(run.counters).toMatchObject({ versionsSelected: 72, filesQueued: 72 });
    } finally {
      await harness.close();
    }
  });

  it('selects exactly the jest@29.7.0 closure', async () => {
    const harness = await MirrorHarness.create(await databases.init('SQLITE_3'), {
      npm: registry.url,
    });
    try {
      await harness.addRoot({ processor: 'npm', id: 'jest', filter: '29.7.0', filterType: 'semver' });
      // About 5 s on SQLite with 2 idle cores: 267 packuments, some 40,000 rows.
      const run = await harness.run();
      expect(await harness.selectedPairs()).toEqual(await readNpmClosure('jest'));
      expect(run.counters).toMatchObject({ versionsSelected: 289, filesQueued: 289 });
    } finally {
      await harness.close();
    }
  });

  it.each(databases.eachSupportedId())(
    'runs express again on %p against the unchanged registry with 304s, no writes and nothing queued',
    async databaseId => {
      const harness = await MirrorHarness.create(await databases.init(databaseId), {
        npm: registry.url,
      });
      try {
        await harness.addRoot({ processor: 'npm', id: 'express', filter: '4.21.2', filterType: 'semver' });
        await harness.startCollecting();
        const first = await harness.run();
        expect(first.counters.filesQueued).toBe(72);
        expect(await harness.selectedPairs()).toEqual(await readNpmClosure('express'));
        // Every tarball of the closure is in the corpus, so all are collected.
        await harness.waitForCollection();
        expect(await harness.stores.files.stats()).toEqual([
          { processor: 'npm', status: 'collected', files: 72, bytes: expect.any(Number) },
        ]);

        const rowsBefore = harness.stores.writes.rows;
        const requestsBefore = { ...harness.upstream.counters };
        const before = await storedRows(harness.knex);
        const second = await harness.run();

        // One conditional request per artifact, each answered 304.
        const requests = harness.upstream.counters.requests - requestsBefore.requests;
        expect(requests).toBe(70);
        expect(harness.upstream.counters.notModified - requestsBefore.notModified).toBe(requests);
        expect(second.counters).toMatchObject({ artifacts: 70, versionsSelected: 72, filesQueued: 0 });
        // No row written, not even an artifact's last run or updated_at.
        expect(harness.stores.writes.rows).toBe(rowsBefore);
        expect(await storedRows(harness.knex)).toEqual(before);
        expect(await harness.selectedPairs()).toEqual(await readNpmClosure('express'));
      } finally {
        await harness.close();
      }
    },
  );
});
