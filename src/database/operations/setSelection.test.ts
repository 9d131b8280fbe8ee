import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { SelectionReason } from '../../types';
import { BackpackStores } from '../createBackpackStores';
import { clearTables, createTestStores, npmVersion, rootArtifact as base } from '../__testUtils__/storeFixtures';
import { setSelection } from './setSelection';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const filter: SelectionReason = { type: 'filter', filter: '^1' };
const requiredBy = (id: string): SelectionReason => ({
  type: 'required-by',
  processor: 'npm',
  id,
  version: '1.0.0',
  range: '^1',
});

describe.each(databases.eachSupportedId())('setSelection on %p', databaseId => {
  let knex: Knex;
  let stores: BackpackStores;
  let ref: number;

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    stores = await createTestStores(knex);
  });

  beforeEach(async () => {
    ref = (await stores.artifacts.createArtifact({ ...base, id: 'selected' })).ref;
    await stores.versions.syncVersions(ref, [npmVersion('1.0.0'), npmVersion('1.1.0'), npmVersion('2.0.0')]);
  });

  afterEach(() => clearTables(knex));

  const statuses = async () =>
    Object.fromEntries((await stores.versions.getVersions(ref)).map(v => [v.version, [v.status, v.selection]]));

  it('replaces the selection in a full run, writing only the rows that change', async () => {
    expect(
      await setSelection(knex, ref, [
        { version: '1.0.0', status: 'selected', selection: [filter] },
        { version: '2.0.0', status: 'denied', selection: [] },
      ], { replace: true }),
    ).toBe(2);
    expect(
      await setSelection(knex, ref, [{ version: '1.1.0', status: 'selected', selection: [filter] }], { replace: true }),
    ).toBe(3);
    expect(await statuses()).toEqual({
      '1.0.0': ['discovered', []],
      '1.1.0': ['selected', [filter]],
      '2.0.0': ['discovered', []],
    });
    expect(
      await setSelection(knex, ref, [{ version: '1.1.0', status: 'selected', selection: [filter] }], { replace: true }),
    ).toBe(0);
  });

  it('adds to what other roots chose in a scoped run, and keeps a selected version selected', async () => {
    await setSelection(knex, ref, [{ version: '1.0.0', status: 'selected', selection: [requiredBy('a')] }], { replace: true });
    expect(
      await setSelection(knex, ref, [
        { version: '1.0.0', status: 'discovered', selection: [requiredBy('b'), requiredBy('a')] },
        { version: '2.0.0', status: 'selected', selection: [requiredBy('b')] },
      ], { replace: false }),
    ).toBe(2);
    expect(await statuses()).toEqual({
      '1.0.0': ['selected', [requiredBy('a'), requiredBy('b')]],
      '1.1.0': ['discovered', []],
      '2.0.0': ['selected', [requiredBy('b')]],
    });
    // The same again adds nothing.
    expect(
      await setSelection(knex, ref, [{ version: '2.0.0', status: 'selected', selection: [requiredBy('b')] }], { replace: false }),
    ).toBe(0);
  });
});
