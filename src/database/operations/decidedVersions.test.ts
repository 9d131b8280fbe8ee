import { describeOnEachDatabase, npmArtifact, rootArtifact } from '../__testUtils__/storeFixtures';
import { decidedVersions } from './decidedVersions';

jest.setTimeout(60_000);

describeOnEachDatabase('decidedVersions', db => {
  it('reads the versions of many artifacts with the statuses asked for, newest first, an entry per artifact', async () => {
    const a = await npmArtifact(db.stores, 'a', ['1.0.0', '1.1.0', '2.0.0']);
    const b = await npmArtifact(db.stores, 'b', ['1.0.0']);
    const c = (await db.stores.artifacts.createArtifact({ ...rootArtifact, id: 'c' })).ref;
    await db.stores.versions.setSelection(a, [
      { version: '1.0.0', status: 'selected', selection: [{ type: 'all-versions' }] },
      { version: '1.1.0', status: 'selected', selection: [] },
      { version: '2.0.0', status: 'denied', selection: [{ type: 'denied', reason: 'no' }] },
    ]);
    await db.stores.versions.setSelection(b, [{ version: '1.0.0', status: 'pending-approval', selection: [] }]);

    const decided = await decidedVersions(db.knex, [a, b, c], ['selected', 'denied']);
    expect(decided.get(a)).toEqual([
      { version: '2.0.0', status: 'denied', selection: [{ type: 'denied', reason: 'no' }] },
      { version: '1.1.0', status: 'selected', selection: [] },
      { version: '1.0.0', status: 'selected', selection: [{ type: 'all-versions' }] },
    ]);
    expect(decided.get(b)).toEqual([]);
    expect(decided.get(c)).toEqual([]);

    // For comparing statuses only: the reasons left out.
    const statuses = await decidedVersions(db.knex, [a], ['selected', 'denied'], { reasons: false });
    expect(statuses.get(a)).toEqual([
      { version: '2.0.0', status: 'denied', selection: [] },
      { version: '1.1.0', status: 'selected', selection: [] },
      { version: '1.0.0', status: 'selected', selection: [] },
    ]);
  });
});
