import { artifactWithFiles, describeOnEachDatabase, past } from '../__testUtils__/storeFixtures';
import { expireLeases, listLeaseHolders, takeExpiredLeases } from './expiredLeases';

jest.setTimeout(60_000);

describeOnEachDatabase('expired leases', db => {
  it('takes back each expired lease once, and leaves live leases alone', async () => {
    const store = db.stores.files;
    const refs = await artifactWithFiles(db.stores, 'npm', 'leased', ['dead', 'live', 'free']);
    const run = await db.stores.runs.createRun({ trigger: 'manual' });
    await store.markQueued(Object.values(refs), run.id);
    expect(await store.claimFile(refs.dead, 'host-1-aaaaaaaa', 60_000)).toBe(true);
    expect(await store.claimFile(refs.live, 'host-2-bbbbbbbb', 60_000)).toBe(true);
    // The first worker died a while ago: its lease ran out.
    await db.knex('artifact_files').where({ ref: refs.dead }).update({ locked_until: past(1000) });

    const [first, second] = await Promise.all([takeExpiredLeases(db.knex), takeExpiredLeases(db.knex)]);
    expect([...first, ...second]).toEqual([{ ref: refs.dead, runId: run.id }]);
    expect(await store.getFile(refs.dead)).toMatchObject({ status: 'queued', lockedBy: undefined });
    expect(await takeExpiredLeases(db.knex)).toEqual([]);
    expect(await store.getFile(refs.live)).toMatchObject({ lockedBy: 'host-2-bbbbbbbb' });
  });

  it('ends the leases of dead workers at once', async () => {
    const store = db.stores.files;
    const refs = await artifactWithFiles(db.stores, 'npm', 'crashed', ['a', 'b', 'c']);
    await store.claimFile(refs.a, 'dead-worker', 600_000);
    await store.claimFile(refs.b, 'dead-worker', 600_000);
    await store.claimFile(refs.c, 'live-worker', 600_000);
    expect((await listLeaseHolders(db.knex)).sort()).toEqual(['dead-worker', 'live-worker']);
    expect(await expireLeases(db.knex, ['dead-worker'])).toBe(2);
    expect((await takeExpiredLeases(db.knex)).map(t => t.ref).sort()).toEqual([refs.a, refs.b].sort());
    expect(await listLeaseHolders(db.knex)).toEqual(['live-worker']);
    // Another worker may claim them right away.
    expect(await store.claimFile(refs.a, 'live-worker', 600_000)).toBe(true);
  });

  it('leaves the leases of collected and parked files and of no worker at all', async () => {
    const refs = await artifactWithFiles(db.stores, 'npm', 'settled', ['collected', 'parked']);
    for (const ref of Object.values(refs)) await db.stores.files.claimFile(ref, 'gone', 600_000);
    await db.stores.files.markCollected(refs.collected, { size: 1, digest: 'x', storageKey: 'k' });
    await db.stores.files.markFailed(refs.parked, { error: '404', parked: true });
    expect(await expireLeases(db.knex, [])).toBe(0);
    expect(await listLeaseHolders(db.knex)).toEqual([]);
    await db.knex('artifact_files').update({ locked_by: 'gone', locked_until: past(1000) });
    // The collected file is never queued again; the parked one waits for a retry.
    expect(await takeExpiredLeases(db.knex)).toEqual([]);
  });
});
