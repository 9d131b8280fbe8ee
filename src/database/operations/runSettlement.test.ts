import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { BackpackStores } from '../createBackpackStores';
import { artifactWithFiles, clearTables, createTestStores } from '../__testUtils__/storeFixtures';
import { countParkedFiles, runsWithOutstandingFiles } from './runSettlement';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('run settlement counts on %p', databaseId => {
  let knex: Knex;
  let stores: BackpackStores;

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    stores = await createTestStores(knex);
  });

  afterEach(() => clearTables(knex));

  it('counts the files of each run by whether they have an outcome', async () => {
    const { files } = stores;
    const refs = await artifactWithFiles(stores, 'npm', 'settling', ['pending', 'queued', 'failed', 'parked', 'collected']);
    const run = await stores.runs.createRun({ trigger: 'manual' });
    const other = await stores.runs.createRun({ trigger: 'manual' });
    await files.markQueued(Object.values(refs), run.id);
    // Back to pending, as a reset leaves it, yet still the run's.
    await knex('artifact_files').where({ ref: refs.pending }).update({ status: 'pending' });
    await files.markFailed(refs.failed, { error: '503', parked: false });
    await files.markFailed(refs.parked, { error: '404', parked: true });
    await files.markCollected(refs.collected, { size: 1, digest: 'x', storageKey: 'k' });

    expect([...(await runsWithOutstandingFiles(knex, [run.id, other.id]))]).toEqual([run.id]);
    expect(await countParkedFiles(knex, run.id)).toBe(1);
    expect(await countParkedFiles(knex, other.id)).toBe(0);
    expect(await runsWithOutstandingFiles(knex, [])).toEqual(new Set());
    // With only an outcome left for each file, nothing is outstanding.
    await knex('artifact_files').whereIn('ref', [refs.pending, refs.queued, refs.failed]).update({ status: 'parked' });
    expect(await runsWithOutstandingFiles(knex, [run.id])).toEqual(new Set());
  });
});
