import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { DatabaseBackpackStore } from './DatabaseBackpackStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const past = (ms: number) => new Date(Date.now() - ms).toISOString();

describe.each(databases.eachSupportedId())(
  'DatabaseBackpackStore recovery and run settlement on %p',
  databaseId => {
    let knex: Knex;
    let store: DatabaseBackpackStore;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      store = await DatabaseBackpackStore.create({ database: { getClient: async () => knex } });
    });

    afterEach(async () => {
      for (const table of [
        'artifact_dependencies',
        'artifact_files',
        'artifact_versions',
        'artifacts',
        'mirror_runs',
      ]) {
        await knex(table).delete();
      }
    });

    /** An artifact with one selected version and the given files; returns file refs by name. */
    async function artifactWithFiles(
      processor: string,
      id: string,
      names: string[],
      root = true,
    ): Promise<Record<string, number>> {
      const artifact = await store.createArtifact({
        processor,
        id,
        config: {},
        root,
        dependencyPolicy: 'latest',
      });
      await store.syncVersions(
        artifact.ref,
        [
          {
            version: '1.0.0',
            files: names.map(name => ({
              name,
              uri: `http://files.test/${id}/${name}`,
              path: `${id}/${name}`,
              integrity: { algorithm: 'sha256' as const, digest: 'ab' },
            })),
            dependencies: [],
          },
        ],
        p => `${processor}/${p}`,
      );
      await store.setSelection(artifact.ref, [
        { version: '1.0.0', status: 'selected', selection: [] },
      ]);
      const files = await store.listFilesToQueue({ artifactRefs: [artifact.ref], staleAfterMs: 0 });
      return Object.fromEntries(files.map(f => [f.name, f.ref]));
    }

    async function fileRow(ref: number) {
      return knex('artifact_files').where({ ref }).first();
    }

    it('records the kind of a failure and forgets it once collected', async () => {
      const { a } = await artifactWithFiles('npm', 'pkg', ['a']);
      await store.markFailed(a, { error: 'GET … answered 503', parked: false, errorKind: 'transient' });
      expect(await store.getFile(a)).toMatchObject({
        status: 'failed',
        errorKind: 'transient',
        attempts: 1,
      });
      await store.markFailed(a, { error: 'GET … answered 404', parked: true, errorKind: 'permanent' });
      expect(await store.getFile(a)).toMatchObject({ status: 'parked', errorKind: 'permanent', attempts: 2 });
      await store.resetFiles({ statuses: ['parked'] });
      await store.markCollected(a, { size: 1, digest: 'cd', storageKey: 'npm/pkg/a' });
      const collected = await store.getFile(a);
      expect(collected).toMatchObject({ status: 'collected' });
      expect(collected?.errorKind).toBeUndefined();
    });

    it('resets failed and parked files by scope, kind, permission filter and age', async () => {
      const npm = await artifactWithFiles('npm', 'left', ['t', 'p', 'f', 'ok']);
      const pypi = await artifactWithFiles('pypi', 'right', ['t'], false);
      const run = await store.createRun({ trigger: 'manual' });
      await store.markQueued(Object.values(npm), run.id);
      await store.markFailed(npm.t, { error: 'timeout', parked: true, errorKind: 'transient' });
      await store.markFailed(npm.p, { error: '404', parked: true, errorKind: 'permanent' });
      await store.markFailed(npm.f, { error: '500', parked: false, errorKind: 'transient' });
      await store.markFailed(pypi.t, { error: 'reset', parked: true, errorKind: 'transient' });

      // Parked just now: not yet old enough for the sweep's pause.
      expect(
        await store.resetFiles({ statuses: ['parked'], errorKind: 'transient', settledBeforeMs: 60_000 }),
      ).toEqual({ moved: 0, artifactRefs: [] });
      // A permission filter (roots only) and the kind narrow it down.
      const leftRef = (await store.getArtifact('npm', 'left'))!.ref;
      expect(
        await store.resetFiles({
          statuses: ['parked'],
          errorKind: 'transient',
          filter: { key: 'root', value: true },
        }),
      ).toEqual({ moved: 1, artifactRefs: [leftRef] });
      expect(await store.getFile(npm.t)).toMatchObject({ status: 'pending', attempts: 0 });
      expect((await fileRow(npm.t)).run_id).toBeNull();
      expect(await store.getFile(pypi.t)).toMatchObject({ status: 'parked' });
      // By processor and id.
      expect((await store.resetFiles({ statuses: ['failed', 'parked'], processor: 'pypi', id: 'nope' })).moved).toBe(0);
      expect((await store.resetFiles({ statuses: ['failed', 'parked'], processor: 'pypi', id: 'right' })).moved).toBe(1);
      // Everything else that failed, of any kind.
      expect((await store.resetFiles({ statuses: ['failed', 'parked'] })).moved).toBe(2);
      expect(await store.getFile(npm.ok)).toMatchObject({ status: 'queued' });
      const failedAnyMore = await knex('artifact_files').whereIn('status', ['failed', 'parked']);
      expect(failedAnyMore).toEqual([]);
    });

    it('takes back each expired lease once, and leaves live leases alone', async () => {
      const refs = await artifactWithFiles('npm', 'leased', ['dead', 'live', 'free']);
      const run = await store.createRun({ trigger: 'manual' });
      await store.markQueued(Object.values(refs), run.id);
      expect(await store.claimFile(refs.dead, 'host-1-aaaaaaaa', 60_000)).toBe(true);
      expect(await store.claimFile(refs.live, 'host-2-bbbbbbbb', 60_000)).toBe(true);
      // The first worker died a while ago: its lease ran out.
      await knex('artifact_files').where({ ref: refs.dead }).update({ locked_until: past(1000) });

      const [first, second] = await Promise.all([store.takeExpiredLeases(), store.takeExpiredLeases()]);
      expect([...first, ...second]).toEqual([{ ref: refs.dead, runId: run.id }]);
      expect(await store.getFile(refs.dead)).toMatchObject({ status: 'queued', lockedBy: undefined });
      expect(await store.takeExpiredLeases()).toEqual([]);
      expect(await store.getFile(refs.live)).toMatchObject({ lockedBy: 'host-2-bbbbbbbb' });
    });

    it('ends the leases of dead workers at once', async () => {
      const refs = await artifactWithFiles('npm', 'crashed', ['a', 'b', 'c']);
      await store.claimFile(refs.a, 'dead-worker', 600_000);
      await store.claimFile(refs.b, 'dead-worker', 600_000);
      await store.claimFile(refs.c, 'live-worker', 600_000);
      expect((await store.listLeaseHolders()).sort()).toEqual(['dead-worker', 'live-worker']);
      expect(await store.expireLeases(['dead-worker'])).toBe(2);
      expect((await store.takeExpiredLeases()).map(t => t.ref).sort()).toEqual([refs.a, refs.b].sort());
      expect(await store.listLeaseHolders()).toEqual(['live-worker']);
      // Another worker may claim them right away.
      expect(await store.claimFile(refs.a, 'live-worker', 600_000)).toBe(true);
    });

    it('counts outstanding and parked files per run and settles a collecting run once', async () => {
      const refs = await artifactWithFiles('npm', 'counted', ['a', 'b', 'c']);
      const run = await store.createRun({ trigger: 'manual' });
      const other = await store.createRun({ trigger: 'manual' });
      expect(await store.claimRun(run.id, 'w1')).toBe(true);
      await store.markQueued([refs.a, refs.b, refs.c], run.id);
      expect(await store.markRunCollecting(run.id, { artifactsFailed: 1, error: 'npm:x failed' })).toBe(true);
      // Only a running run moves to collecting.
      expect(await store.markRunCollecting(other.id, { artifactsFailed: 0 })).toBe(false);
      expect(await store.getRun(run.id)).toMatchObject({
        status: 'collecting',
        error: 'npm:x failed',
        counters: { artifactsFailed: 1 },
      });

      const outstanding = async () =>
        Object.fromEntries(await store.countOutstandingFiles([run.id, other.id]));
      expect(await outstanding()).toEqual({ [run.id]: 3, [other.id]: 0 });
      await store.markCollected(refs.a, { size: 3, digest: 'x', storageKey: 'npm/counted/a' });
      await store.markFailed(refs.b, { error: '503', parked: false, errorKind: 'transient' });
      expect(await outstanding()).toEqual({ [run.id]: 2, [other.id]: 0 });
      await store.markFailed(refs.b, { error: '404', parked: true, errorKind: 'permanent' });
      await store.markFailed(refs.c, { error: '404', parked: true, errorKind: 'permanent' });
      expect(await outstanding()).toEqual({ [run.id]: 0, [other.id]: 0 });
      expect(await store.countParkedFiles(run.id)).toBe(2);

      const settle = () =>
        store.finishRun(run.id, { status: 'partial', filesParked: 2, error: 'parked', from: 'collecting' });
      const results = await Promise.all([settle(), settle()]);
      expect(results.sort()).toEqual([false, true]);
      expect(await store.getRun(run.id)).toMatchObject({
        status: 'partial',
        finishedAt: expect.any(String),
        counters: { artifactsFailed: 1, filesParked: 2, filesCollected: 1, filesFailed: 2 },
      });
      expect((await store.listRuns({ status: 'partial', limit: 10, offset: 0 })).total).toBe(1);
    });

    it('lets exactly one replica take over a collecting run whose watcher went quiet', async () => {
      const stale = await store.createRun({ trigger: 'manual' });
      const fresh = await store.createRun({ trigger: 'manual' });
      const orphan = await store.createRun({ trigger: 'manual' });
      for (const [run, worker] of [
        [stale, 'gone'],
        [fresh, 'busy'],
        [orphan, 'dead-pid'],
      ] as const) {
        await store.claimRun(run.id, worker);
        await store.markRunCollecting(run.id, { artifactsFailed: 0 });
      }
      await knex('mirror_runs').where({ id: stale.id }).update({ heartbeat_at: past(10 * 60_000) });

      const [a, b] = await Promise.all([
        store.takeOverCollectingRuns('replica-a', { staleAfterMs: 60_000, isDead: w => w === 'dead-pid' }),
        store.takeOverCollectingRuns('replica-b', { staleAfterMs: 60_000, isDead: w => w === 'dead-pid' }),
      ]);
      expect([...a, ...b].sort()).toEqual([orphan.id, stale.id].sort());
      const claimed = await knex('mirror_runs').whereIn('id', [stale.id, orphan.id]).select('claimed_by');
      expect(claimed.every(r => ['replica-a', 'replica-b'].includes(r.claimed_by))).toBe(true);
      expect((await knex('mirror_runs').where({ id: fresh.id }).first()).claimed_by).toBe('busy');
      // A run taken over is collecting still; nothing failed it.
      expect(await store.getRun(stale.id)).toMatchObject({ status: 'collecting' });
    });
  },
);
