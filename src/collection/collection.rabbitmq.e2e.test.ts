import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { byName, filesOf, waitForCollectedRun, waitForFiles } from '../__testUtils__/api';
import { TestServer } from '../__testUtils__/backpackBackend';
import { AuditRecord, collectingAuditor } from '../__testUtils__/collectingAuditor';
import { FixtureFile, FixtureUpstream } from '../__testUtils__/fixtureUpstream';
import { generateNpmPackageSet } from '../__testUtils__/npmPackageSet';
import { permissionsWithPolicy } from '../__testUtils__/permissionPolicy';
import { closeBrokerConnections } from '../__testUtils__/rabbitmq';
import { CountingProxy } from '../__testUtils__/s3rver';
import { startVerdaccio, TestNpmRegistry } from '../__testUtils__/verdaccio';
import { sleep, waitFor } from '../__testUtils__/waitFor';
import {
  BUCKET,
  expectNpmClosureInS3,
  RabbitS3Backend,
  startRabbitS3Backend,
} from './__testUtils__/rabbitS3Backend';

// Acceptance tests of collection (issue 4): the plugin as a whole, with the
// real local RabbitMQ, an s3rver, verdaccio over a generated npm package
// set, and a file server whose answers each test controls. The in-process
// queue: collection.local.e2e.test.ts; the real express closure:
// collection.corpus.test.ts.

const RETRY_DELAYS_MS = [50, 100];
const MAX_ATTEMPTS = 3;
const PER_HOST = 6;
const generated = generateNpmPackageSet();

describe('collection with RabbitMQ and S3', () => {
  const upstream = new FixtureUpstream();
  const { files } = upstream;
  const events: AuditRecord[] = [];
  const denied = new Set<string>();
  let verdaccio: TestNpmRegistry;
  let rabbitS3: RabbitS3Backend;
  let proxy: CountingProxy;
  let queueName: string;
  let server: TestServer;
  /** The run that first collected the `troubles` artifact. */
  let troublesRunId: string;

  const addFixture = (id: string, declared: FixtureFile[]) => upstream.add(server, id, declared);
  const headStatus = (key: string) => rabbitS3.headStatus(key);

  beforeAll(async () => {
    await files.start();
    verdaccio = await startVerdaccio(generated.packages);
    rabbitS3 = await startRabbitS3Backend({
      queue: { maxAttempts: MAX_ATTEMPTS, retryDelaysMs: RETRY_DELAYS_MS, concurrency: 8 },
      backpack: {
        processors: { npm: { registry: verdaccio.url } },
        // Two of the eight workers are always left to other hosts.
        collection: { maxConcurrencyPerHost: PER_HOST },
      },
      processors: [upstream.processor],
      features: [
        collectingAuditor(events),
        permissionsWithPolicy(name => ({
          result: denied.has(name) ? AuthorizeResult.DENY : AuthorizeResult.ALLOW,
        })),
      ],
    });
    ({ proxy, queueName } = rabbitS3);
    server = rabbitS3.backend.server;
  });

  afterAll(async () => {
    await rabbitS3?.stop();
    await Promise.all([verdaccio?.stop(), files.close()]);
  });

  it('mirrors a generated closure into S3 with every object matching its packument integrity', async () => {
    const { root, closure } = generated;
    await expectNpmClosureInS3(rabbitS3, verdaccio.url, { id: root.name, filter: root.version }, closure);
  });

  it('refuses bad bytes, retries transient failures and parks what cannot succeed', async () => {
    const runId = await addFixture('troubles', [
      { name: 'good.tgz', behaviour: 'ok' },
      { name: 'flipped.tgz', behaviour: 'flip' },
      { name: 'flaky.tgz', behaviour: 'fail-once' },
      { name: 'broken.tgz', behaviour: 'fail-always' },
      {
        name: 'elsewhere.tgz',
        behaviour: 'ok',
        uri: 'http://169.254.169.254/latest/meta-data/elsewhere.tgz',
      },
      { name: 'redirected.tgz', behaviour: 'redirect-out' },
    ]);
    troublesRunId = runId;
    const run = await waitForCollectedRun(server, runId);
    expect(run.counters).toMatchObject({ filesQueued: 6, filesCollected: 2, filesFailed: 4 });
    // Some files parked: the run tells so.
    expect(run).toMatchObject({
      status: 'partial',
      error: '4 files parked',
      counters: { artifactsFailed: 0, filesParked: 4 },
    });

    const result = byName(await filesOf(server, 'fixture', 'troubles'));
    expect(result['good.tgz']).toMatchObject({ status: 'collected', attempts: 1 });

    // A flipped byte fails the digest check on every attempt; the upload is
    // aborted each time, so nothing is ever stored at the key.
    expect(result['flipped.tgz']).toMatchObject({
      status: 'parked',
      collected: false,
      attempts: MAX_ATTEMPTS,
      error: expect.stringMatching(/integrity|digest/i),
      // Never queued again on its own.
      errorKind: 'permanent',
    });
    expect(files.count('troubles', 'flipped.tgz')).toBe(MAX_ATTEMPTS);
    expect(await headStatus(result['flipped.tgz'].storageKey)).toBe(404);
    expect(proxy.puts.get(`/${BUCKET}/${result['flipped.tgz'].storageKey}`)).toBeUndefined();

    // 500 then 200: collected by the retry.
    expect(result['flaky.tgz']).toMatchObject({ status: 'collected', attempts: 2 });
    expect(await headStatus(result['flaky.tgz'].storageKey)).toBe(200);

    // Refused hosts are never retried, and never contacted.
    expect(result['elsewhere.tgz']).toMatchObject({
      status: 'parked',
      attempts: 1,
      error: expect.stringContaining('not in the allowed hosts'),
      errorKind: 'permanent',
    });
    expect(result['redirected.tgz']).toMatchObject({
      status: 'parked',
      attempts: 1,
      error: expect.stringMatching(/Host localhost:\d+ is not in the allowed hosts/),
      errorKind: 'permanent',
    });
    expect(files.count('troubles', 'redirected.tgz')).toBe(1);

    // Always 500: parked after maxAttempts, the last error visible in the API.
    const parked = byName(await filesOf(server, 'fixture', 'troubles', '1.0.0', 'parked'));
    expect(Object.keys(parked).sort()).toEqual(['broken.tgz', 'elsewhere.tgz', 'flipped.tgz', 'redirected.tgz']);
    expect(parked['broken.tgz']).toMatchObject({
      attempts: MAX_ATTEMPTS,
      error: expect.stringContaining('answered 500'),
      // Queued again by the next run or sweep, the upstream may be back.
      errorKind: 'transient',
    });
    expect(files.count('troubles', 'broken.tgz')).toBe(MAX_ATTEMPTS);
  });

  it('queues parked files again on retry', async () => {
    denied.add('backpack.file.retry');
    const refused = await request(server).post('/api/backpack/artifacts/fixture/troubles/retry');
    denied.clear();
    expect(refused.status).toBe(403);
    expect(events.find(e => e.options.eventId === 'file-retry')).toMatchObject({
      outcome: 'fail',
    });
    expect(byName(await filesOf(server, 'fixture', 'troubles'))['broken.tgz']).toMatchObject({
      status: 'parked',
    });

    // The upstream recovered.
    files.behaviours.set('/files/troubles/broken.tgz', 'ok');
    const res = await request(server).post('/api/backpack/artifacts/fixture/troubles/retry');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ requeued: 4 });
    expect(
      events.find(e => e.options.eventId === 'file-retry' && e.outcome === 'success'),
    ).toMatchObject({
      options: { severityLevel: 'high', meta: { processor: 'fixture', id: 'troubles' } },
      outcome: 'success',
      meta: { requeued: 4 },
    });

    const result = byName(await waitForFiles(server, 'fixture', 'troubles'));
    expect(result['broken.tgz']).toMatchObject({ status: 'collected', attempts: 1 });
    expect(result['flipped.tgz']).toMatchObject({ status: 'parked', attempts: MAX_ATTEMPTS });
    expect(result['elsewhere.tgz']).toMatchObject({ status: 'parked', attempts: 1 });
    // The run that failed them keeps its report.
    const run = await request(server).get(`/api/backpack/runs/${troublesRunId}`);
    expect(run.body.counters).toMatchObject({ filesQueued: 6, filesCollected: 2, filesFailed: 4 });

    const unknown = await request(server).post('/api/backpack/artifacts/fixture/nope/retry');
    expect(unknown.status).toBe(404);
  });

  it('reports counts, bytes and queue depth', async () => {
    const res = await request(server).get('/api/backpack/stats');
    expect(res.status).toBe(200);
    expect(res.body.byProcessor).toEqual(
      expect.arrayContaining([
        { processor: 'npm', status: 'collected', files: generated.closure.length, bytes: expect.any(Number) },
        { processor: 'fixture', status: 'collected', files: 3, bytes: expect.any(Number) },
        { processor: 'fixture', status: 'parked', files: 3, bytes: expect.any(Number) },
      ]),
    );
    const npm = res.body.byProcessor.find((e: any) => e.processor === 'npm');
    expect(npm.bytes).toBeGreaterThan(0);
    expect(res.body.queue).toEqual({
      ready: expect.any(Number),
      inFlight: expect.any(Number),
      delayed: expect.any(Number),
      parked: expect.any(Number),
    });
    // Every parked attempt left a message in the parking queue.
    expect(res.body.queue.parked).toBeGreaterThanOrEqual(4);

    const anonymous = await request(server)
      .get('/api/backpack/stats')
      .set('Authorization', mockCredentials.none.header());
    expect(anonymous.status).toBe(401);
  });

  it('purges the objects only the deleted artifact referenced', async () => {
    // `twin` has one file of its own and one whose processor path and
    // bytes are those of a file of `troubles`: it is stored at a key of
    // its own all the same.
    const runId = await addFixture('twin', [
      { name: 'own.tgz', behaviour: 'ok' },
      { name: 'good.tgz', behaviour: 'ok', from: 'troubles', path: 'troubles/good.tgz' },
    ]);
    await waitForCollectedRun(server, runId);
    const troubles = byName(await filesOf(server, 'fixture', 'troubles'));
    const twin = byName(await filesOf(server, 'fixture', 'twin'));
    expect(twin['good.tgz'].storageKey).not.toBe(troubles['good.tgz'].storageKey);

    const bad = await request(server).delete('/api/backpack/artifacts/fixture/troubles?purge=yes');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^purge: /);

    const res = await request(server).delete('/api/backpack/artifacts/fixture/troubles?purge=true');
    expect(res.status).toBe(204);
    expect(await headStatus(troubles['flaky.tgz'].storageKey)).toBe(404);
    expect(await headStatus(troubles['broken.tgz'].storageKey)).toBe(404);
    expect(await headStatus(troubles['good.tgz'].storageKey)).toBe(404);
    expect(await headStatus(twin['good.tgz'].storageKey)).toBe(200);
    expect(
      events.find(e => e.options.eventId === 'artifact-delete' && e.outcome === 'success'),
    ).toMatchObject({
      options: { meta: { processor: 'fixture', id: 'troubles', purge: true } },
      // Every key of troubles.
      meta: { purged: 6 },
    });

    // Without purge the objects stay.
    const kept = await request(server).delete('/api/backpack/artifacts/fixture/twin');
    expect(kept.status).toBe(204);
    expect(await headStatus(twin['own.tgz'].storageKey)).toBe(200);
  });

  it('completes a run whose broker connections drop mid-collection, uploading nothing twice', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `part-${i}.tgz`);
    const runId = await addFixture(
      'bulk',
      names.map(name => ({ name, behaviour: 'gated' as const })),
    );
    // Drop the connections while every download slot of the file server's
    // host is in flight; the other jobs wait for a slot.
    await waitFor('downloads to be in flight', () => files.heldCount === PER_HOST);
    await sleep(200);
    expect(files.heldCount).toBe(PER_HOST);
    expect(await closeBrokerConnections(`backpack:${queueName}`)).toBeGreaterThan(0);
    // Once the queue is back, the broker delivers the unacknowledged jobs
    // again while their first handlers still wait for the upstream.
    await waitFor('the queue to reconnect', async () => {
      const stats = await request(server).get('/api/backpack/stats');
      return stats.body.queue ? true : undefined;
    });
    await sleep(300);
    files.openGate();

    const run = await waitForCollectedRun(server, runId);
    expect(run.status).toBe('succeeded');
    expect(run.counters).toMatchObject({ filesQueued: 30, filesCollected: 30, filesFailed: 0 });
    const result = await filesOf(server, 'fixture', 'bulk');
    expect(result.every(f => f.status === 'collected')).toBe(true);
    for (const file of result) {
      expect(files.count('bulk', file.name)).toBe(1);
      expect(proxy.puts.get(`/${BUCKET}/${file.storageKey}`)).toBe(1);
    }
  });
});
