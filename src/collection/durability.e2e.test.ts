import { SchedulerService } from '@backstage/backend-plugin-api';
import { AuthorizeResult, PolicyDecision } from '@backstage/plugin-permission-common';
import request from 'supertest';
import {
  byName,
  filesOf as listFiles,
  getRun as getRunOn,
  waitForRun,
} from '../__testUtils__/api';
import { BackpackBackend, startBackpackBackend, TestServer } from '../__testUtils__/backpackBackend';
import { AuditRecord, collectingAuditor } from '../__testUtils__/collectingAuditor';
import {
  addFixtureArtifact,
  createFixtureProcessor,
  FileServer,
  FixtureFile,
} from '../__testUtils__/fixtureUpstream';
import { permissionsWithPolicy } from '../__testUtils__/permissionPolicy';
import { waitFor } from '../__testUtils__/waitFor';

jest.setTimeout(60_000);

// Acceptance tests of durability (issue 9): the plugin with the in-process
// queue and a local directory, against file servers that go down, answer
// 503 or 404, or hold their answers.

const RETRY_DELAYS_MS = [200, 400];
const MAX_ATTEMPTS = 3;

describe('durability of collection and runs', () => {
  const files = new FileServer();
  const other = new FileServer();
  const packages = new Map<string, FixtureFile[]>();
  const failing = new Set<string>();
  const events: AuditRecord[] = [];
  let decide: (permission: string) => PolicyDecision = () => ({ result: AuthorizeResult.ALLOW });
  let scheduler: SchedulerService;
  let backend: BackpackBackend;
  let server: TestServer;

  beforeAll(async () => {
    await Promise.all([files.start(), other.start()]);
    backend = await startBackpackBackend({
      manualScheduler: true,
      processors: [
        createFixtureProcessor(files, packages, 'fixture', failing),
        // Files on a host of their own.
        createFixtureProcessor(other, packages, 'other', failing),
      ],
      features: [permissionsWithPolicy(name => decide(name)), collectingAuditor(events)],
      backpack: {
        queue: { retryDelaysMs: RETRY_DELAYS_MS, maxAttempts: MAX_ATTEMPTS, concurrency: 4 },
        // The sweep may queue parked files again at once.
        collection: { parkedRetryAfterMs: 0 },
      },
    });
    server = backend.server;
    scheduler = backend.scheduler!;
  });

  afterAll(async () => {
    await backend?.stop();
    await Promise.all([files.close(), other.close()]);
  });

  /** Declares an artifact's files and adds it; returns the run it started. */
  const add = (id: string, declared: FixtureFile[], processor = 'fixture') =>
    addFixtureArtifact(server, { files: processor === 'fixture' ? files : other, packages, processor }, id, declared);

  const getRun = (id: string) => getRunOn(server, id);
  const settled = (id: string) => waitForRun(server, id);
  const filesOf = async (id: string, processor = 'fixture') => byName(await listFiles(server, processor, id));

  it('bridges a short outage with retries that follow retryDelaysMs', async () => {
    const names = ['a.tgz', 'b.tgz', 'c.tgz'];
    const runId = await add('flaky', names.map(name => ({ name, behaviour: 'fail-twice' as const })));
    const run = await settled(runId);
    expect(run).toMatchObject({
      status: 'succeeded',
      counters: { filesQueued: 3, filesCollected: 3, filesFailed: 0, filesParked: 0 },
    });
    const result = await filesOf('flaky');
    for (const name of names) {
      expect(result[name]).toMatchObject({ status: 'collected', attempts: 3 });
      // Retry n waited retryDelaysMs[n - 1] at least (a lower bound only).
      const [first, second, third] = files.times.get(`/files/flaky/${name}`)!;
      expect(second - first).toBeGreaterThanOrEqual(RETRY_DELAYS_MS[0]);
      expect(third - second).toBeGreaterThanOrEqual(RETRY_DELAYS_MS[1]);
    }
  });

  it('parks files during a long outage only until the upstream answers again', async () => {
    await files.down();
    const runId = await add('outage', [
      { name: 'x.tgz', behaviour: 'ok' },
      { name: 'y.tgz', behaviour: 'ok' },
      { name: 'gone.tgz', behaviour: 'missing' },
    ]);
    const sweepId = await add('outage-swept', [{ name: 'z.tgz', behaviour: 'ok' }]);
    // Every attempt refused: parked, as transient, and the run says so.
    const run = await settled(runId);
    expect(run).toMatchObject({
      status: 'partial',
      error: '3 files parked',
      counters: { filesQueued: 3, filesParked: 3, artifactsFailed: 0 },
    });
    expect(await filesOf('outage')).toMatchObject({
      'x.tgz': { status: 'parked', errorKind: 'transient', attempts: MAX_ATTEMPTS },
      'gone.tgz': { status: 'parked', errorKind: 'transient' },
    });
    await settled(sweepId);

    await files.up();
    // The 404 file now gets a definite answer the next time it is tried.
    // A run that discovers the artifact queues its transient files again.
    const again = await request(server)
      .post('/api/backpack/runs')
      .send({ processor: 'fixture', id: 'outage' });
    expect(again.status).toBe(202);
    const rerun = await settled(again.body.id);
    expect(rerun).toMatchObject({
      status: 'partial',
      counters: { filesQueued: 3, filesCollected: 2, filesParked: 1 },
    });
    const after = await filesOf('outage');
    expect(after['x.tgz']).toMatchObject({ status: 'collected', attempts: 1 });
    expect(after['y.tgz']).toMatchObject({ status: 'collected', attempts: 1 });
    expect(after['gone.tgz']).toMatchObject({ status: 'parked', errorKind: 'permanent', attempts: 1 });
    // The first run keeps its report.
    expect((await getRun(runId)).counters).toMatchObject({ filesParked: 3, filesCollected: 0 });

    // The sweep queues the other artifact's transient files; the permanent
    // one stays parked until someone retries it.
    await scheduler.triggerTask('backpack-collection-sweep');
    await waitFor('the swept file', async () =>
      (await filesOf('outage-swept'))['z.tgz'].collected ? true : undefined,
    );
    expect((await filesOf('outage-swept'))['z.tgz']).toMatchObject({ attempts: 1 });
    expect((await filesOf('outage'))['gone.tgz']).toMatchObject({ status: 'parked' });
  });

  it('is collecting while its files are in flight, and partial when a discovery failed', async () => {
    failing.add('unreachable');
    packages.set('unreachable', []);
    // A root whose registry is down, and one whose file is held.
    const down = await request(server).post('/api/backpack/artifacts').send({ processor: 'fixture', id: 'unreachable' });
    expect(down.status).toBe(201);
    expect(await settled(down.body.runId)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^Discovery failed for 1 artifact: fixture:unreachable \(registry of unreachable is down\)/),
      counters: { artifactsFailed: 1 },
    });

    const held = await add('held', [{ name: 'slow.tgz', behaviour: 'gated' }]);
    await waitFor('the download', async () => (files.heldCount > 0 ? true : undefined));
    expect(await getRun(held)).toMatchObject({ status: 'collecting', counters: { filesQueued: 1, filesCollected: 0 } });

    // A full run meanwhile: one root failed, the others are fine.
    const full = await request(server).post('/api/backpack/runs').send({});
    await waitFor('the full run to walk', async () => {
      const run = await getRun(full.body.id);
      return ['queued', 'running'].includes(run.status) ? undefined : run;
    });
    const listed = await request(server).get('/api/backpack/runs?status=collecting');
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((r: { id: string }) => r.id)).toContain(held);

    files.openGate();
    expect(await settled(held)).toMatchObject({ status: 'succeeded', counters: { filesCollected: 1 } });
    expect(await settled(full.body.id)).toMatchObject({
      status: 'partial',
      error: expect.stringContaining('fixture:unreachable'),
      counters: { artifactsFailed: 1 },
    });
    const partial = await request(server).get('/api/backpack/runs?status=partial');
    expect(partial.body.items.map((r: { id: string }) => r.id)).toContain(full.body.id);
    const bad = await request(server).get('/api/backpack/runs?status=done');
    expect(bad.status).toBe(400);
    failing.delete('unreachable');
    await request(server).delete('/api/backpack/artifacts/fixture/unreachable');
  });

  it("keeps a slow host from holding every worker, and aborts a deleted artifact's downloads", async () => {
    const slowRun = await add('slow-host', ['1', '2', '3', '4'].map(n => ({ name: `s${n}.tgz`, behaviour: 'stall' as const })));
    await waitFor('the slow downloads', async () =>
      ['1', '2', '3', '4'].filter(n => files.count('slow-host', `s${n}.tgz`) > 0).length >= 3 ? true : undefined,
    );
    // Four workers, three per host by default: one is left to other hosts.
    const fastRun = await add('fast-host', [{ name: 'small.tgz', behaviour: 'ok' }], 'other');
    expect(await settled(fastRun)).toMatchObject({ status: 'succeeded' });
    expect(['1', '2', '3', '4'].filter(n => files.count('slow-host', `s${n}.tgz`) > 0)).toHaveLength(3);
    expect((await getRun(slowRun)).status).toBe('collecting');

    // Deleting the artifact ends its downloads at once, without an attempt.
    const deleted = await request(server).delete('/api/backpack/artifacts/fixture/slow-host');
    expect(deleted.status).toBe(204);
    const probe = await add('after-delete', [{ name: 'p.tgz', behaviour: 'ok' }]);
    expect(await settled(probe)).toMatchObject({ status: 'succeeded' });
    // Every stalled download was ended; none was counted as a failure.
    expect(['1', '2', '3', '4'].filter(n => files.count('slow-host', `s${n}.tgz`) > 0)).toHaveLength(3);
    expect(await settled(slowRun)).toMatchObject({ status: 'succeeded', counters: { filesCollected: 0, filesParked: 0 } });
  });

  it('retries every parked file in one call, within what a conditional decision allows', async () => {
    const mine = await add('mine', [{ name: 'm1.tgz', behaviour: 'missing' }, { name: 'm2.tgz', behaviour: 'missing' }]);
    const theirs = await add('theirs', [{ name: 't1.tgz', behaviour: 'missing' }], 'other');
    expect(await settled(mine)).toMatchObject({ status: 'partial', counters: { filesParked: 2 } });
    expect(await settled(theirs)).toMatchObject({ status: 'partial', counters: { filesParked: 1 } });
    // Both upstreams have the files now, also the one parked further above.
    files.behaviours.set('/files/outage/gone.tgz', 'ok');
    files.behaviours.set('/files/mine/m1.tgz', 'ok');
    files.behaviours.set('/files/mine/m2.tgz', 'ok');
    other.behaviours.set('/files/theirs/t1.tgz', 'ok');

    // Bad bodies are refused before anything happens.
    const orphanId = await request(server).post('/api/backpack/retry').send({ id: 'mine' });
    expect(orphanId.status).toBe(400);
    expect(orphanId.body.error.message).toMatch(/^body: id needs processor/);
    const badKind = await request(server).post('/api/backpack/retry').send({ errorKind: 'sometimes' });
    expect(badKind.status).toBe(400);
    expect(badKind.body.error.message).toMatch(/^errorKind: /);

    decide = name =>
      name === 'backpack.file.retry'
        ? {
            result: AuthorizeResult.CONDITIONAL,
            pluginId: 'backpack',
            resourceType: 'backpack-artifact',
            conditions: { rule: 'HAS_PROCESSOR', resourceType: 'backpack-artifact', params: { processors: ['fixture'] } },
          }
        : { result: AuthorizeResult.ALLOW };
    try {
      // Only transient ones: none of these.
      const transient = await request(server).post('/api/backpack/retry').send({ errorKind: 'transient' });
      expect(transient.body).toEqual({ requeued: 0 });
      // Not allowed on `other`: nothing, as for an unknown artifact.
      const denied = await request(server).post('/api/backpack/retry').send({ processor: 'other', id: 'theirs' });
      expect(denied.body).toEqual({ requeued: 0 });
      const unknown = await request(server).post('/api/backpack/retry').send({ processor: 'fixture', id: 'nope' });
      expect(unknown.body).toEqual({ requeued: 0 });

      // Every parked file of a `fixture` artifact: mine's two, outage's one.
      const res = await request(server).post('/api/backpack/retry').send({});
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ requeued: 3 });
    } finally {
      decide = () => ({ result: AuthorizeResult.ALLOW });
    }
    expect(events.filter(e => e.options.eventId === 'file-retry').pop()).toMatchObject({
      options: { severityLevel: 'high' },
      outcome: 'success',
      meta: { requeued: 3 },
    });
    await waitFor('the retried files', async () => {
      const result = await filesOf('mine');
      const gone = (await filesOf('outage'))['gone.tgz'];
      return result['m1.tgz'].collected && result['m2.tgz'].collected && gone.collected
        ? true
        : undefined;
    });
    expect((await filesOf('mine'))['m1.tgz']).toMatchObject({ status: 'collected', attempts: 1 });
    expect((await filesOf('theirs', 'other'))['t1.tgz']).toMatchObject({ status: 'parked' });

    decide = () => ({ result: AuthorizeResult.DENY });
    try {
      const refused = await request(server).post('/api/backpack/retry').send({});
      expect(refused.status).toBe(403);
    } finally {
      decide = () => ({ result: AuthorizeResult.ALLOW });
    }
    expect(events.filter(e => e.options.eventId === 'file-retry').pop()).toMatchObject({ outcome: 'fail' });
    // Scoped to one artifact, all of it.
    const scoped = await request(server).post('/api/backpack/retry').send({ processor: 'other', id: 'theirs' });
    expect(scoped.body).toEqual({ requeued: 1 });
  });
});
