import { TestDatabases } from '@backstage/backend-test-utils';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BackpackStores, createBackpackStores } from '../database/createBackpackStores';
import { LocalDirectoryBlobStore } from '../storage/LocalDirectoryBlobStore';
import { isDeadLocalWorker, localHost } from '../lib/workerIdentity';
import { Collector, CollectorOptions } from './Collector';
import { LeaseReaper } from './LeaseReaper';
import { InProcessJobQueue } from './queue/InProcessJobQueue';
import { CollectJob } from './queue/JobQueue';
import { SafeFetcher } from '../upstream/SafeFetcher';
import { selectedArtifact, testCollector } from './__testUtils__/collectorFixtures';
import { waitFor as waitForAttempts } from '../__testUtils__/waitFor';

jest.setTimeout(30_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const contentOf = (name: string) => Buffer.from(`${name}\n`.repeat(100));
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

type Answer = 'ok' | '404' | '503' | { status: number; retryAfter: string } | 'hold';

/** An upstream whose answer per file name the test sets; `hold` keeps the body open. */
class Upstream {
  readonly answers = new Map<string, Answer>();
  readonly requests: string[] = [];
  /** Held responses, by name; each resolves when its connection closed. */
  readonly held = new Map<string, { finish: () => void; closed: Promise<void> }>();
  private readonly server = http.createServer((req, res) => this.answer(req, res));
  url = '';

  async start() {
    await new Promise<void>(resolve => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get host() {
    return new URL(this.url).host;
  }

  async close() {
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse) {
    const name = (req.url ?? '').slice(1);
    this.requests.push(name);
    const answer = this.answers.get(name) ?? 'ok';
    const body = contentOf(name);
    if (answer === 'ok') {
      res.end(body);
    } else if (answer === '404' || answer === '503') {
      res.statusCode = Number(answer);
      res.end();
    } else if (answer === 'hold') {
      // Half the bytes now, the rest when the test says so.
      res.setHeader('content-length', body.length);
      res.write(body.subarray(0, body.length >> 1));
      const closed = new Promise<void>(resolve => res.on('close', () => resolve()));
      this.held.set(name, { finish: () => res.end(body.subarray(body.length >> 1)), closed });
    } else {
      res.statusCode = answer.status;
      res.setHeader('retry-after', answer.retryAfter);
      res.end();
    }
  }
}

/** Waits until `check` holds; bounded by attempts. */
const waitFor = (what: string, check: () => boolean | Promise<boolean>) =>
  waitForAttempts(what, check, { attempts: 600, intervalMs: 20 });

/** The pid of a process that ran on this host and has exited. */
async function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['-e', ''], error => {
      if (error) reject(error);
      else resolve(child.pid!);
    });
  });
}

describe('Collector: failures, leases, fairness and aborts', () => {
  const slow = new Upstream();
  const fast = new Upstream();
  let dir: string;
  let stores: BackpackStores;
  let queue: InProcessJobQueue;
  let fetcher: SafeFetcher;
  let collectors: Collector[];

  beforeAll(async () => {
    await Promise.all([slow.start(), fast.start()]);
  });

  afterAll(async () => {
    await Promise.all([slow.close(), fast.close()]);
  });

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-collector-'));
    const knex = await databases.init('SQLITE_3');
    stores = await createBackpackStores({ database: { getClient: async () => knex } });
    queue = new InProcessJobQueue({ concurrency: 4, retryDelaysMs: [10], maxAttempts: 3 });
    fetcher = new SafeFetcher({ allowedHosts: [slow.host, fast.host] });
    collectors = [];
    slow.answers.clear();
    fast.answers.clear();
    slow.requests.length = 0;
    fast.requests.length = 0;
  });

  afterEach(async () => {
    for (const { finish } of [...slow.held.values(), ...fast.held.values()]) finish();
    slow.held.clear();
    fast.held.clear();
    collectors.forEach(c => c.stop());
    await queue.stop();
    await fetcher.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /**
   * Temporary files the blob store left behind. A download aborted before
   * its body reached the store never made the folder: none left either.
   */
  async function leftoverTempFiles(): Promise<string[]> {
    return fs.readdir(path.join(dir, '.backpack-tmp')).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
  }

  function collector(options: Partial<CollectorOptions> = {}) {
    const created = testCollector({
      stores,
      blobStore: new LocalDirectoryBlobStore({ directory: dir }),
      queue,
      fetcher,
      ...options,
    });
    collectors.push(created);
    return created;
  }

  /** An artifact with one selected version whose files live on the given upstreams. */
  async function artifact(id: string, files: Array<[Upstream, string]>) {
    const stored = await selectedArtifact(
      stores,
      id,
      files.map(([upstream, name]) => ({
        name,
        uri: `${upstream.url}/${name}`,
        path: `${id}/${name}`,
        integrity: { algorithm: 'sha256' as const, digest: sha256(contentOf(name)) },
      })),
    );
    return { ref: stored.ref, files: Object.fromEntries(Object.values(stored.files).map(f => [f.name, f.ref])) };
  }

  const job = (fileRef: number): CollectJob => ({ fileRef, key: `file-${fileRef}`, attempt: 1 });

  it("retries a transient failure no sooner than the upstream's Retry-After, up to the bound", async () => {
    const { files } = await artifact('busy', [[fast, 'a.tgz'], [fast, 'b.tgz']]);
    fast.answers.set('a.tgz', { status: 503, retryAfter: '7' });
    fast.answers.set('b.tgz', { status: 429, retryAfter: '86400' });
    const c = collector({ maxRetryAfterMs: 60_000 });
    expect(await c.handle(job(files['a.tgz']))).toEqual({ retry: { minDelayMs: 7000 } });
    expect(await c.handle(job(files['b.tgz']))).toEqual({ retry: { minDelayMs: 60_000 } });
    expect(await stores.files.getFile(files['a.tgz'])).toMatchObject({
      status: 'failed',
      errorKind: 'transient',
      attempts: 1,
      error: expect.stringContaining('503'),
    });
  });

  it('parks a permanent failure at once, and a transient one only after the last attempt', async () => {
    const { files } = await artifact('broken', [[fast, 'gone.tgz'], [fast, 'down.tgz']]);
    fast.answers.set('gone.tgz', '404');
    fast.answers.set('down.tgz', '503');
    const c = collector();
    expect(await c.handle(job(files['gone.tgz']))).toBe('park');
    expect(await stores.files.getFile(files['gone.tgz'])).toMatchObject({
      status: 'parked',
      errorKind: 'permanent',
      attempts: 1,
    });
    expect(await c.handle(job(files['down.tgz']))).toBe('retry');
    expect(await c.handle(job(files['down.tgz']))).toBe('retry');
    expect(await c.handle(job(files['down.tgz']))).toBe('park');
    expect(await stores.files.getFile(files['down.tgz'])).toMatchObject({
      status: 'parked',
      errorKind: 'transient',
      attempts: 3,
    });
  });

  it('defers a job whose file another worker holds instead of dropping it, and collects it once the lease ran out', async () => {
    const { files } = await artifact('leased', [[fast, 'a.tgz']]);
    const ref = files['a.tgz'];
    // As when the broker redelivers a dead consumer's job at once.
    expect(await stores.files.claimFile(ref, 'elsewhere-4242-0badcafe', 60_000)).toBe(true);
    const c = collector();
    const outcome = await c.handle(job(ref));
    expect(outcome).toEqual({ defer: { delayMs: expect.any(Number) } });
    const { delayMs } = (outcome as { defer: { delayMs: number } }).defer;
    // Until the lease would have run out, not sooner.
    expect(delayMs).toBeGreaterThan(55_000);
    expect(delayMs).toBeLessThanOrEqual(61_000);
    expect(await stores.files.getFile(ref)).toMatchObject({ collected: false, attempts: 0 });
    expect(fast.requests).toEqual([]);

    await stores.files.expireLeases(['elsewhere-4242-0badcafe']);
    expect(await c.handle(job(ref))).toBe('done');
    expect(await stores.files.getFile(ref)).toMatchObject({ status: 'collected', attempts: 1 });
  });

  it('collects the files a dead worker held as soon as its leases are known to be over', async () => {
    const { files } = await artifact('orphaned', [[fast, 'expired.tgz'], [fast, 'dead-pid.tgz'], [fast, 'live.tgz']]);
    const run = await stores.runs.createRun({ trigger: 'manual' });
    await stores.files.markQueued(Object.values(files), run.id);
    // Another host's worker whose lease ran out, a process of this host that
    // no longer runs (its lease would last 10 more minutes), and a live one.
    await stores.files.claimFile(files['expired.tgz'], 'far-away-1-aaaaaaaa', 60_000);
    await stores.files.expireLeases(['far-away-1-aaaaaaaa']);
    const dead = `${localHost()}-${await deadPid()}-bbbbbbbb`;
    await stores.files.claimFile(files['dead-pid.tgz'], dead, 10 * 60_000);
    const live = `${localHost()}-${process.pid}-cccccccc`;
    await stores.files.claimFile(files['live.tgz'], live, 10 * 60_000);

    const c = collector();
    await c.start();
    expect(await new LeaseReaper({ stores, queue }).reap({ isDead: isDeadLocalWorker })).toBe(2);
    await waitFor('the orphaned files to be collected', async () =>
      (await stores.files.getFile(files['dead-pid.tgz']))!.collected &&
      (await stores.files.getFile(files['expired.tgz']))!.collected,
    );
    expect(await stores.files.getFile(files['expired.tgz'])).toMatchObject({ attempts: 1 });
    expect(await stores.files.getFile(files['live.tgz'])).toMatchObject({ status: 'queued', lockedBy: live });
    expect(fast.requests.sort()).toEqual(['dead-pid.tgz', 'expired.tgz']);
  });

  it('does not let one slow host hold every worker', async () => {
    // The case: four slow tarballs and a small file elsewhere, four
    // workers, at most three downloads per host.
    const { files } = await artifact('mixed', [
      [slow, 's1.tgz'],
      [slow, 's2.tgz'],
      [slow, 's3.tgz'],
      [slow, 's4.tgz'],
      [fast, 'small.tgz'],
    ]);
    for (const name of ['s1.tgz', 's2.tgz', 's3.tgz', 's4.tgz']) slow.answers.set(name, 'hold');
    const c = collector({ maxConcurrencyPerHost: 3 });
    await c.start();
    await queue.enqueue(
      ['s1.tgz', 's2.tgz', 's3.tgz', 's4.tgz', 'small.tgz'].map(name => job(files[name])),
    );
    await waitFor('the small file', async () => (await stores.files.getFile(files['small.tgz']))!.collected);
    // Three slow downloads at once, never four; the fourth waits without an attempt.
    expect(slow.held.size).toBe(3);
    const waiting = (await Promise.all(
      ['s1.tgz', 's2.tgz', 's3.tgz', 's4.tgz'].map(name => stores.files.getFile(files[name])),
    )).filter(f => !slow.held.has(f!.name));
    expect(waiting).toEqual([expect.objectContaining({ attempts: 0, collected: false })]);

    // The slow host recovers.
    for (const name of ['s1.tgz', 's2.tgz', 's3.tgz', 's4.tgz']) slow.answers.set(name, 'ok');
    for (const { finish } of slow.held.values()) finish();
    await waitFor('every slow file', async () => {
      const all = await Promise.all(Object.values(files).map(ref => stores.files.getFile(ref)));
      return all.every(f => f!.collected);
    });
    for (const ref of Object.values(files)) {
      expect(await stores.files.getFile(ref)).toMatchObject({ status: 'collected', attempts: 1 });
    }
  });

  it('aborts the downloads of a deleted artifact at once, storing nothing', async () => {
    const { ref, files } = await artifact('doomed', [[slow, 'big.tgz']]);
    slow.answers.set('big.tgz', 'hold');
    const c = collector();
    const handled = c.handle(job(files['big.tgz']));
    await waitFor('the download to start', () => slow.held.has('big.tgz'));

    await stores.artifacts.deleteArtifact(ref);
    expect(c.abortArtifact(ref)).toBe(1);
    expect(await handled).toBe('done');
    await slow.held.get('big.tgz')!.closed;
    await expect(fs.access(path.join(dir, 'npm/doomed/big.tgz'))).rejects.toThrow();
    expect(await leftoverTempFiles()).toEqual([]);
  });

  it("aborts a download when renewing its lease finds the file gone (another replica's delete)", async () => {
    const { ref, files } = await artifact('elsewhere', [[slow, 'big.tgz']]);
    slow.answers.set('big.tgz', 'hold');
    // Renews every second.
    const c = collector({ leaseMs: 3000 });
    const handled = c.handle(job(files['big.tgz']));
    await waitFor('the download to start', () => slow.held.has('big.tgz'));
    // Deleted through another replica: this collector is not told.
    await stores.artifacts.deleteArtifact(ref);
    expect(await handled).toBe('done');
    await slow.held.get('big.tgz')!.closed;
    expect(await leftoverTempFiles()).toEqual([]);
  });
});
