import { TestDatabases } from '@backstage/backend-test-utils';
import { MirrorHarness, storedRows } from '../__testUtils__/mirrorHarness';
import { generateNpmPackageSet } from '../__testUtils__/npmPackageSet';
import { startVerdaccio, TestNpmRegistry } from '../__testUtils__/verdaccio';

// Whole runs over generated npm package sets, on both databases: the
// behaviour corpusRuns.corpus.test.ts checks on the real express and jest
// closures, without the corpus.
jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const small = generateNpmPackageSet({ prefix: 'gen' });
const large = generateNpmPackageSet({ prefix: 'big', seed: 12, size: 40 });

describe('mirror runs over generated npm package sets', () => {
  let registry: TestNpmRegistry;

  beforeAll(async () => {
    registry = await startVerdaccio([...small.packages, ...large.packages]);
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('selects exactly the closure of the larger set', async () => {
    const harness = await MirrorHarness.create(await databases.init('SQLITE_3'), {
      npm: registry.url,
    });
    try {
      await harness.addRoot({ processor: 'npm', id: large.root.name, filter: large.root.version, filterType: 'semver' });
      const statements: string[] = [];
      const onQuery = (query: { sql: string }) => statements.push(query.sql);
      harness.knex.on('query', onQuery);
      const run = await harness.run().finally(() => harness.knex.removeListener('query', onQuery));
      expect(await harness.selectedPairs()).toEqual(large.closure);
      // Written in batches across artifacts, not one by one: the
      // dependencies a parent declares are added together, and the
      // selected versions' status set by one statement per hundred.
      const count = (pattern: RegExp) => statements.filter(sql => pattern.test(sql)).length;
      expect(count(/^insert into [`"]artifacts[`"]/)).toBeLessThan(large.names.length / 2);
      expect(count(/^update [`"]artifact_versions[`"] set [`"]status[`"]/)).toBeLessThanOrEqual(
        Math.ceil(large.closure.length / 100),
      );
      expect(run.counters).toMatchObject({
        versionsSelected: large.closure.length,
        filesQueued: large.closure.length,
      });
    } finally {
      await harness.close();
    }
  });

  it.each(databases.eachSupportedId())(
    'runs a closure again on %p against the unchanged registry with 304s, no writes and nothing queued',
    async databaseId => {
      const harness = await MirrorHarness.create(await databases.init(databaseId), {
        npm: registry.url,
      });
      try {
        await harness.addRoot({ processor: 'npm', id: small.root.name, filter: small.root.version, filterType: 'semver' });
        await harness.startCollecting();
        const first = await harness.run();
        expect(first.counters.filesQueued).toBe(small.closure.length);
        expect(await harness.selectedPairs()).toEqual(small.closure);
        // Every tarball of the closure is published, so all are collected.
        await harness.waitForCollection();
        expect(await harness.stores.files.stats()).toEqual([
          { processor: 'npm', status: 'collected', files: small.closure.length, bytes: expect.any(Number) },
        ]);

        const rowsBefore = harness.stores.writes.rows;
        const requestsBefore = { ...harness.upstream.counters };
        const before = await storedRows(harness.knex);
        // Statements that read dependencies by version: the walk's stored
        // graph is read up front, so a no-op run needs none of them.
        const dependencyReads: string[] = [];
        const onQuery = (query: { sql: string }) => {
          if (/from [`"]artifact_dependencies[`"] where/.test(query.sql)) dependencyReads.push(query.sql);
        };
        harness.knex.on('query', onQuery);
        const second = await harness.run().finally(() => harness.knex.removeListener('query', onQuery));
        expect(dependencyReads).toEqual([]);

        // One conditional request per artifact, each answered 304.
        const requests = harness.upstream.counters.requests - requestsBefore.requests;
        expect(requests).toBe(small.names.length);
        expect(harness.upstream.counters.notModified - requestsBefore.notModified).toBe(requests);
        expect(second.counters).toMatchObject({
          artifacts: small.names.length,
          versionsSelected: small.closure.length,
          filesQueued: 0,
        });
        // No row written, not even an artifact's last run or updated_at.
        expect(harness.stores.writes.rows).toBe(rowsBefore);
        expect(await storedRows(harness.knex)).toEqual(before);
        expect(await harness.selectedPairs()).toEqual(small.closure);
      } finally {
        await harness.close();
      }
    },
  );
});
