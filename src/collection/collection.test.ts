import {
  coreServices,
  createBackendModule,
  createServiceFactory,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import knexFactory, { Knex } from 'knex';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import {
  closeBrokerConnections,
  deleteJobQueues,
  RABBITMQ_URL,
  uniqueQueueName,
} from '../__testUtils__/rabbitmq';
import { startS3rver, TestS3Server } from '../__testUtils__/s3rver';
import {
  npmFixturesDir,
  startNpmCorpusVerdaccio,
  TestNpmRegistry,
} from '../__testUtils__/verdaccio';
import { backpackProcessorsExtensionPoint } from '../extensions';
import { backpackFeatures } from '../__testUtils__/backpackFeatures';
import { AuditRecord, collectingAuditor } from '../__testUtils__/collectingAuditor';
import {
  contentOf,
  createFixtureProcessor,
  FileServer,
  FixtureFile,
} from '../__testUtils__/fixtureUpstream';

// Acceptance tests of collection (issue 4): the plugin as a whole, with the
// real local RabbitMQ, an s3rver, verdaccio over the frozen npm corpus, and
// a file server whose answers each test controls.

const BUCKET = 'backpack-collection';
const RETRY_DELAYS_MS = [50, 100];
const MAX_ATTEMPTS = 3;
const PER_HOST = 6;

/** Counts PUT requests per object path in front of s3rver. */
class CountingProxy {
  readonly puts = new Map<string, number>();
  private readonly server: http.Server;
  url = '';

  constructor(target: string) {
    const { hostname, port } = new URL(target);
    this.server = http.createServer((req, res) => {
      if (req.method === 'PUT') {
        const key = decodeURIComponent(new URL(req.url ?? '/', target).pathname);
        this.puts.set(key, (this.puts.get(key) ?? 0) + 1);
      }
      const upstream = http.request(
        { hostname, port, method: req.method, path: req.url, headers: req.headers },
        answer => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
  }

  async start() {
    await new Promise<void>(resolve =>
      this.server.listen(0, '127.0.0.1', resolve),
    );
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close() {
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }
}


/** Allows every permission except those named in `denied`. */
function permissionsDenying(denied: Set<string>) {
  const decide = (name: string): AuthorizeResult.ALLOW | AuthorizeResult.DENY =>
    denied.has(name) ? AuthorizeResult.DENY : AuthorizeResult.ALLOW;
  return createServiceFactory({
    service: coreServices.permissions,
    deps: {},
    factory: (): PermissionsService => ({
      async authorize(requests) {
        return requests.map(r => ({ result: decide(r.permission.name) }));
      },
      async authorizeConditional(requests) {
        return requests.map(r => ({ result: decide(r.permission.name) }));
      },
    }),
  });
}

type TestServer = Parameters<typeof request>[0];

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Polls until `check` returns a value; bounded, with no assertion on time. */
async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  attempts = 600,
): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/**
 * Waits until the run settled: its walk finished and every file it queued
 * has an outcome (the run is no longer `collecting`).
 */
async function waitForCollection(server: TestServer, runId: string) {
  return waitFor(`run ${runId} to be collected`, async () => {
    const res = await request(server).get(`/api/backpack/runs/${runId}`);
    expect(res.status).toBe(200);
    const { status, counters } = res.body;
    if (status === 'failed') throw new Error(`Run failed: ${res.body.error}`);
    if (status !== 'succeeded' && status !== 'partial') return undefined;
    // Settled means every queued file has its outcome.
    expect(counters.filesCollected + counters.filesFailed).toBeGreaterThanOrEqual(
      counters.filesQueued,
    );
    return res.body;
  });
}

async function filesOf(server: TestServer, processor: string, id: string, version = '1.0.0') {
  const res = await request(server).get(
    `/api/backpack/artifacts/${processor}/${encodeURIComponent(id)}/versions/${version}/files?limit=500`,
  );
  expect(res.status).toBe(200);
  return res.body.items as Array<Record<string, any>>;
}

/** Waits until no file of the artifact's version is pending, queued or waiting for a retry. */
function waitForFiles(server: TestServer, processor: string, id: string) {
  return waitFor(`files of ${processor}:${id} to settle`, async () => {
    const files = await filesOf(server, processor, id);
    const settled = files.every(f => f.status === 'collected' || f.status === 'parked');
    return settled ? files : undefined;
  });
}

const byName = (files: Array<Record<string, any>>) =>
  Object.fromEntries(files.map(f => [f.name, f]));

async function sha512Base64(body: Readable): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of body) hash.update(chunk);
  return hash.digest('base64');
}

describe('collection with RabbitMQ and S3', () => {
  const files = new FileServer();
  const packages = new Map<string, FixtureFile[]>();
  const queueName = uniqueQueueName('backpack-collection-test');
  const events: AuditRecord[] = [];
  const denied = new Set<string>();
  let s3rver: TestS3Server;
  let proxy: CountingProxy;
  let s3: S3Client;
  let verdaccio: TestNpmRegistry;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let server: TestServer;
  /** The run that first collected the `troubles` artifact. */
  let troublesRunId: string;

  /** Declares an artifact's files, serves them and adds the artifact; returns its run id. */
  async function addFixture(id: string, declared: FixtureFile[]): Promise<string> {
    packages.set(id, declared);
    for (const file of declared) {
      files.behaviours.set(`/files/${file.from ?? id}/${file.name}`, file.behaviour);
    }
    const res = await request(server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'fixture', id });
    expect(res.status).toBe(201);
    return res.body.runId;
  }

  async function headStatus(key: string): Promise<number> {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      return 200;
    } catch (error) {
      return (error as any).$metadata?.httpStatusCode ?? 500;
    }
  }

  beforeAll(async () => {
    await files.start();
    [s3rver, verdaccio] = await Promise.all([startS3rver(), startNpmCorpusVerdaccio()]);
    proxy = new CountingProxy(s3rver.endpoint);
    await proxy.start();
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: s3rver.endpoint,
      forcePathStyle: true,
      credentials: s3rver.credentials,
    });

    const fixtureModule = createBackendModule({
      pluginId: 'backpack',
      moduleId: 'fixture-processor',
      register(env) {
        env.registerInit({
          deps: { processors: backpackProcessorsExtensionPoint },
          async init({ processors }) {
            processors.addProcessor(createFixtureProcessor(files, packages));
          },
        });
      },
    });
    backend = await startTestBackend({
      features: [
        ...backpackFeatures,
        fixtureModule,
        collectingAuditor(events),
        permissionsDenying(denied),
        mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
        mockServices.rootConfig.factory({
          data: {
            backpack: {
              processors: { npm: { registry: verdaccio.url } },
              queue: {
                maxAttempts: MAX_ATTEMPTS,
                retryDelaysMs: RETRY_DELAYS_MS,
                concurrency: 8,
                rabbitmq: { url: RABBITMQ_URL, queue: queueName },
              },
              // Two of the eight workers are always left to other hosts.
              collection: { maxConcurrencyPerHost: PER_HOST },
              storage: {
                s3: {
                  bucket: BUCKET,
                  endpoint: proxy.url,
                  forcePathStyle: true,
                  createBucket: true,
                  credentials: s3rver.credentials,
                },
              },
            },
          },
        }),
      ],
    });
    server = backend.server;
  });

  afterAll(async () => {
    await backend?.stop();
    s3?.destroy();
    await Promise.all([
      proxy?.close(),
      s3rver?.close(),
      verdaccio?.stop(),
      files.close(),
    ]);
    await deleteJobQueues(queueName, RETRY_DELAYS_MS);
  });

  it('mirrors the express closure into S3 with every object matching its packument integrity', async () => {
    const created = await request(server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'npm', id: 'express', filter: '4.21.2' });
    expect(created.status).toBe(201);
    const run = await waitForCollection(server, created.body.runId);

    const closure = (
      await fs.readFile(path.join(npmFixturesDir, 'npm-corpus.express.closure.txt'), 'utf8')
    )
      .split('\n')
      .filter(Boolean)
      .map(line => {
        const at = line.lastIndexOf('@');
        return { name: line.slice(0, at), version: line.slice(at + 1) };
      });
    expect(closure).toHaveLength(72);
    expect(run.status).toBe('succeeded');
    expect(run.counters).toMatchObject({ filesQueued: 72, filesCollected: 72, filesFailed: 0 });

    for (const { name, version } of closure) {
      const [file, ...others] = await filesOf(server, 'npm', name, version);
      expect(others).toEqual([]);
      expect(file).toMatchObject({ status: 'collected', collected: true, attempts: 1 });

      const packument = await (
        await fetch(`${verdaccio.url}/${name.replace('/', '%2f')}`)
      ).json();
      const object = await s3.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: file.storageKey }),
      );
      const digest = await sha512Base64(object.Body as Readable);
      expect(`sha512-${digest}`).toBe(packument.versions[version].dist.integrity);
      expect(object.Metadata?.source).toBe(file.uri);
      // Uploaded once, and only once.
      expect(proxy.puts.get(`/${BUCKET}/${file.storageKey}`)).toBe(1);
    }
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
    const run = await waitForCollection(server, runId);
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
    const parked = await request(server).get(
      '/api/backpack/artifacts/fixture/troubles/versions/1.0.0/files?status=parked',
    );
    expect(parked.status).toBe(200);
    expect(parked.body.items.map((f: any) => f.name).sort()).toEqual([
      'broken.tgz',
      'elsewhere.tgz',
      'flipped.tgz',
      'redirected.tgz',
    ]);
    expect(byName(parked.body.items)['broken.tgz']).toMatchObject({
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
        { processor: 'npm', status: 'collected', files: 72, bytes: expect.any(Number) },
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
    await waitForCollection(server, runId);
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
    await waitFor('downloads to be in flight', async () =>
      files.heldCount === PER_HOST ? true : undefined,
    );
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

    const run = await waitForCollection(server, runId);
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

describe('collection with the in-process queue and a local directory', () => {
  const files = new FileServer();
  const packages = new Map<string, FixtureFile[]>();
  let workDir: string;
  let storageDir: string;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startTestBackend>> | undefined;

  const openDatabase = () =>
    knexFactory({
      client: 'better-sqlite3',
      connection: { filename: path.join(workDir, 'backpack.sqlite') },
      useNullAsDefault: true,
    });

  async function start() {
    const fixtureModule = createBackendModule({
      pluginId: 'backpack',
      moduleId: 'fixture-processor',
      register(env) {
        env.registerInit({
          deps: { processors: backpackProcessorsExtensionPoint },
          async init({ processors }) {
            processors.addProcessor(createFixtureProcessor(files, packages));
          },
        });
      },
    });
    return startTestBackend({
      features: [
        ...backpackFeatures,
        fixtureModule,
        mockServices.database.factory({ knex }),
        mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
        mockServices.rootConfig.factory({
          data: {
            backpack: {
              queue: { maxAttempts: MAX_ATTEMPTS, retryDelaysMs: RETRY_DELAYS_MS },
              storage: { local: { directory: storageDir } },
            },
          },
        }),
      ],
    });
  }

  async function addFixture(id: string, declared: FixtureFile[]): Promise<string> {
    packages.set(id, declared);
    for (const file of declared) {
      files.behaviours.set(`/files/${file.from ?? id}/${file.name}`, file.behaviour);
    }
    const res = await request(backend!.server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'fixture', id });
    expect(res.status).toBe(201);
    return res.body.runId;
  }

  beforeAll(async () => {
    await files.start();
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-collection-'));
    storageDir = path.join(workDir, 'storage');
    knex = openDatabase();
    backend = await start();
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await files.close();
    await fs.rm(workDir, { recursive: true, force: true });
  });

  it('stores verified files and nothing for a flipped byte', async () => {
    const runId = await addFixture('local', [
      { name: 'good.tgz', behaviour: 'ok' },
      { name: 'flipped.tgz', behaviour: 'flip' },
    ]);
    const run = await waitForCollection(backend!.server, runId);
    expect(run).toMatchObject({ status: 'partial', counters: { filesParked: 1 } });
    expect(run.counters).toMatchObject({ filesQueued: 2, filesCollected: 1, filesFailed: 1 });

    const result = byName(await filesOf(backend!.server, 'fixture', 'local'));
    expect(result['good.tgz']).toMatchObject({ status: 'collected', attempts: 1 });
    expect(await fs.readFile(path.join(storageDir, result['good.tgz'].storageKey))).toEqual(
      contentOf('local', 'good.tgz'),
    );
    expect(result['flipped.tgz']).toMatchObject({
      status: 'parked',
      attempts: MAX_ATTEMPTS,
      error: expect.stringMatching(/integrity|digest/i),
    });
    await expect(
      fs.access(path.join(storageDir, result['flipped.tgz'].storageKey)),
    ).rejects.toThrow();
    // No partial body is left behind either.
    const temp = await fs.readdir(path.join(storageDir, '.backpack-tmp')).catch(() => []);
    expect(temp).toEqual([]);
  });

  it('completes collection after a restart mid-run', async () => {
    const declared: FixtureFile[] = [
      { name: 'a.tgz', behaviour: 'ok' },
      { name: 'b.tgz', behaviour: 'ok' },
      { name: 'stuck-1.tgz', behaviour: 'stall' },
      { name: 'stuck-2.tgz', behaviour: 'stall' },
    ];
    const runId = await addFixture('restart', declared);
    await waitFor('the stalled downloads to start', async () => {
      const started =
        files.count('restart', 'stuck-1.tgz') + files.count('restart', 'stuck-2.tgz');
      const collected = (await filesOf(backend!.server, 'fixture', 'restart')).filter(
        f => f.collected,
      ).length;
      return started === 2 && collected === 2 ? true : undefined;
    });

    // The upstream recovers, but the downloads in flight stay stalled; the
    // backend stops under them.
    files.behaviours.set('/files/restart/stuck-1.tgz', 'ok');
    files.behaviours.set('/files/restart/stuck-2.tgz', 'ok');
    await backend!.stop();
    backend = undefined;
    await knex.destroy();

    knex = openDatabase();
    backend = await start();
    const run = await waitForCollection(backend.server, runId);
    // Taken over by the restarted backend and settled, not failed.
    expect(run.status).toBe('succeeded');
    expect(run.counters).toMatchObject({ filesQueued: 4, filesCollected: 4, filesFailed: 0 });
    const result = byName(await filesOf(backend.server, 'fixture', 'restart'));
    for (const name of ['stuck-1.tgz', 'stuck-2.tgz']) {
      // The interrupted download is not counted as an attempt.
      expect(result[name]).toMatchObject({ status: 'collected', attempts: 1 });
      expect(files.count('restart', name)).toBe(2);
      expect(await fs.readFile(path.join(storageDir, result[name].storageKey))).toEqual(
        contentOf('restart', name),
      );
    }
  });
});
