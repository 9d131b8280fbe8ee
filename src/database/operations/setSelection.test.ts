import { SelectionReason } from '../../types';
import { describeOnEachDatabase, npmArtifact } from '../__testUtils__/storeFixtures';
import { setSelection } from './setSelection';

jest.setTimeout(60_000);

const filter: SelectionReason = { type: 'filter', filter: '^1' };
const requiredBy = (id: string): SelectionReason => ({
  type: 'required-by',
  processor: 'npm',
  id,
  version: '1.0.0',
  range: '^1',
});

describeOnEachDatabase('setSelection', db => {
  let ref: number;

  beforeEach(async () => {
    ref = await npmArtifact(db.stores, 'selected', ['1.0.0', '1.1.0', '2.0.0']);
  });

  const statuses = async () =>
    Object.fromEntries((await db.stores.versions.getVersions(ref)).map(v => [v.version, [v.status, v.selection]]));

  it('replaces the selection in a full run, writing only the rows that change', async () => {
    expect(
      await setSelection(db.knex, ref, [
        { version: '1.0.0', status: 'selected', selection: [filter] },
        { version: '2.0.0', status: 'denied', selection: [] },
      ], { replace: true }),
    ).toBe(2);
    expect(
      await setSelection(db.knex, ref, [{ version: '1.1.0', status: 'selected', selection: [filter] }], { replace: true }),
    ).toBe(3);
    expect(await statuses()).toEqual({
      '1.0.0': ['discovered', []],
      '1.1.0': ['selected', [filter]],
      '2.0.0': ['discovered', []],
    });
    expect(
      await setSelection(db.knex, ref, [{ version: '1.1.0', status: 'selected', selection: [filter] }], { replace: true }),
    ).toBe(0);
  });

  it('adds to what other roots chose in a scoped run, and keeps a selected version selected', async () => {
    await setSelection(db.knex, ref, [{ version: '1.0.0', status: 'selected', selection: [requiredBy('a')] }], { replace: true });
    expect(
      await setSelection(db.knex, ref, [
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
      await setSelection(db.knex, ref, [{ version: '2.0.0', status: 'selected', selection: [requiredBy('b')] }], { replace: false }),
    ).toBe(0);
  });
});
