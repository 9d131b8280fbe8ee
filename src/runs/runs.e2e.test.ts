import http from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { selectedThroughApi } from '../__testUtils__/api';
import { BackpackBackend, startBackpackBackend, TestServer } from '../__testUtils__/backpackBackend';
import { generateNpmPackageSet } from '../__testUtils__/npmPackageSet';
import { startPypiIndex } from '../__testUtils__/pypiIndex';
import { StaticRegistryServer } from '../__testUtils__/staticRegistryServer';
import { startVerdaccio, TestNpmRegistry } from '../__testUtils__/verdaccio';
import { pollUntil } from '../__testUtils__/waitFor';
import { MirrorRun } from '../types';
import { expectPreviewOfClosure, expectRunOfClosure } from './__testUtils__/npmClosureRun';

jest.setTimeout(60_000);

// Runs through the REST API, the whole plugin running. A generated package
// set stands in for the express closure of the real corpus (see
// runs.corpus.test.ts).
const generated = generateNpmPackageSet();

/**
 * A reverse proxy in front of a registry. While `hold()` is in force it
 * keeps back the requests whose path matches until `release()`, so that a
 * test can look at a run while it waits for an upstream.
 */
async function startGate(target: string, held: RegExp) {
  let gate: Promise<void> | undefined;
  let release = () => {};
  let holding = 0;
  const targetUrl = new URL(target);
  const server = http.createServer(async (req, res) => {
    if (gate && held.test(req.url ?? '')) {
      holding += 1;
      await gate;
    }
    const forwarded = http.request(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: { ...req.headers, host: targetUrl.host } },
      upstream => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hold() {
      holding = 0;
      gate = new Promise<void>(resolve => {
        release = () => {
          gate = undefined;
          resolve();
        };
      });
    },
    release: () => release(),
    /** Requests held since `hold()`. */
    holding: () => holding,
    async close() {
      release();
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
    },
  };
}

/** Polls until `done` holds for the answer; bounded, and no assertion on time. */
const poll = <T>(read: () => Promise<T>, done: (value: T) => boolean) =>
  pollUntil('the condition', read, done, { attempts: 1200, intervalMs: 25 });

describe('mirror runs through the REST API', () => {
  let registry: TestNpmRegistry;
  let pypi: StaticRegistryServer;
  let gate: Awaited<ReturnType<typeof startGate>>;
  let backend: BackpackBackend;
  let server: TestServer;

  beforeAll(async () => {
    [registry, pypi] = await Promise.all([startVerdaccio(generated.packages), startPypiIndex()]);
    await registry.publish({
      name: 'syn-api-app',
      versions: {
        '1.0.0': {
          dependencies: {
            'syn-api-missing': '^1.0.0',
            'syn-api-dep': '^9.0.0',
            'syn-api-git': 'github:user/repo',
            'syn-api-alias': 'npm:syn-api-dep@^1.0.0',
          },
        },
      },
    });
    await registry.publish({ name: 'syn-api-dep', versions: { '1.0.0': {}, '1.1.0': {} } });
    await registry.publish({
      name: 'syn-live-app',
      versions: { '1.0.0': { dependencies: { 'syn-live-dep': '^1.0.0' } } },
    });
    await registry.publish({ name: 'syn-live-dep', versions: { '1.0.0': {} } });
    // npm asks for scoped and plain packuments by path; only syn-live-dep waits.
    gate = await startGate(registry.url, /^\/syn-live-dep(\?|$)/);

    backend = await startBackpackBackend({
      // Scheduled runs happen when the test says so, not at startup.
      manualScheduler: true,
      backpack: {
        processors: {
          // Through the gate; verdaccio writes tarball URLs for the
          // host it is asked by, which the gate forwards as its own.
          npm: { registry: gate.url },
          pypi: { index: pypi.url },
          maven: { enabled: false },
        },
        upstream: { retries: 0 },
        allowedHosts: [new URL(registry.url).host, new URL(pypi.url).host],
      },
    });
    server = backend.server;
  });

  afterAll(async () => {
    await backend?.stop();
    await gate?.close();
    await Promise.all([registry?.stop(), pypi?.close()]);
  });

  const getRun = async (id: string): Promise<MirrorRun> => {
    const res = await request(server).get(`/api/backpack/runs/${id}`);
    expect(res.status).toBe(200);
    return res.body;
  };
  // Settled: walked, and every file it queued collected or parked.
  const finished = (run: MirrorRun) => ['succeeded', 'partial', 'failed'].includes(run.status);
  const waitForRun = (id: string) => poll(() => getRun(id), finished);

  it('previews a generated closure without writing, and a real run then selects the same', async () => {
    const { name, version } = generated.root;
    const known = { name, version, closure: generated.closure, artifacts: generated.names.length };
    const preview = await expectPreviewOfClosure(server, known);
    const published = generated.packages.find(p => p.name === name)!.versions[version];
    const [dep, range] = Object.entries(published.dependencies!)[0];
    const required = preview.artifacts.find((a: { id: string }) => a.id === dep);
    const resolved = generated.resolve(dep, range);
    expect(required.versions.find((v: { version: string }) => v.version === resolved).selection).toContainEqual({
      type: 'required-by',
      processor: 'npm',
      id: name,
      version,
      range,
    });
    await expectRunOfClosure(server, known);
  });

  it('previews files with their sizes and unresolvable dependencies with reasons', async () => {
    const res = await request(server)
      .post('/api/backpack/artifacts/preview')
      .send({
        processor: 'pypi',
        id: 'Foo_Bar',
        filter: '==2.0',
        config: { pythonVersions: ['3.11'], platforms: ['manylinux_2_17_x86_64'] },
      });
    expect(res.status).toBe(200);
    expect(res.body.closure).toEqual({
      pypi: ['foo-bar@2.0', 'pysocks@1.7.1', 'requests@2.31.0'],
    });
    expect(res.body.unresolvable).toEqual([
      {
        processor: 'pypi',
        id: 'requests',
        version: '2.31.0',
        dependency: { processor: 'pypi', id: 'idna', range: '<4,>=2.5', kind: 'runtime' },
        reason: expect.stringMatching(/^unknown package: /),
      },
    ]);
    const fooBar = res.body.artifacts[0];
    expect(fooBar.id).toBe('foo-bar');
    expect(fooBar.versions[0].files.map((f: { storageKey: string }) => f.storageKey).sort()).toEqual([
      'files/pypi/foo-bar/2.0/foo_bar-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
      'files/pypi/foo-bar/2.0/foo_bar-2.0.tar.gz',
    ]);
    const sizes = res.body.artifacts.flatMap((a: any) =>
      a.versions.flatMap((v: any) => v.files.map((f: any) => f.size)),
    );
    expect(sizes.every((size: unknown) => typeof size === 'number')).toBe(true);
    expect(res.body.totals).toMatchObject({
      artifacts: 4,
      versions: 3,
      files: sizes.length,
      bytes: sizes.reduce((a: number, b: number) => a + b, 0),
      filesWithoutSize: 0,
    });
  });

  it('answers 400 for a preview the artifact service would refuse', async () => {
    const res = await request(server)
      .post('/api/backpack/artifacts/preview')
      .send({ processor: 'npm', id: 'express', filter: '(' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^filter: /);
  });

  it('shows the unresolvable dependencies of an artifact with their reasons', async () => {
    const created = await request(server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'npm', id: 'syn-api-app' });
    expect(created.status).toBe(201);
    expect((await waitForRun(created.body.runId)).status).toBe('succeeded');

    const res = await request(server).get('/api/backpack/artifacts/npm/syn-api-app');
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(
      res.body.dependencies.map((d: { id: string; range: string }) => [`${d.id} ${d.range}`, d]),
    );
    expect(byId).toEqual({
      'syn-api-dep ^1.0.0': expect.objectContaining({ resolved: ['1.1.0'] }),
      'syn-api-dep ^9.0.0': expect.objectContaining({
        resolved: [],
        unresolvable: "no version of 'syn-api-dep' satisfies '^9.0.0'",
      }),
      'syn-api-missing ^1.0.0': expect.objectContaining({
        resolved: [],
        unresolvable: expect.stringMatching(/^unknown package: /),
      }),
      'syn-api-git github:user/repo': expect.objectContaining({
        resolved: [],
        unresolvable: expect.stringMatching(/git/),
      }),
    });
  });

  it('starts a run with POST /runs and shows its counters moving in GET /runs/:id', async () => {
    const created = await request(server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'npm', id: 'syn-live-app' });
    expect((await waitForRun(created.body.runId)).counters).toMatchObject({
      artifacts: 2,
      versionsSelected: 2,
      filesQueued: 2,
    });

    // A full run that has to wait for syn-live-dep's registry.
    gate.hold();
    const started = await request(server).post('/api/backpack/runs').send({});
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ id: expect.any(String), trigger: 'manual', status: 'queued' });
    const id = started.body.id;

    // While the registry holds the request, the run is running and has
    // counted the artifacts discovered so far.
    const midway = await poll(
      () => getRun(id),
      run => gate.holding() > 0 && run.counters.artifacts > 0,
    );
    expect(midway.status).toBe('running');
    expect(midway.startedAt).toEqual(expect.any(String));
    expect(midway.finishedAt).toBeUndefined();
    gate.release();

    const done = await waitForRun(id);
    expect(done.status).toBe('succeeded');
    expect(done.finishedAt).toEqual(expect.any(String));
    expect(done.counters.artifacts).toBeGreaterThan(midway.counters.artifacts);
    expect(done.counters.versionsSelected).toBeGreaterThanOrEqual(2);
    expect(await selectedThroughApi(server, 'npm')).toEqual(
      expect.arrayContaining(['syn-live-app@1.0.0', 'syn-live-dep@1.0.0']),
    );
  });

  it('refuses to scope a run to a dependency', async () => {
    const res = await request(server)
      .post('/api/backpack/runs')
      .send({ processor: 'npm', id: 'syn-live-dep' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/is a dependency, not a root/);
  });

  it('runs the scheduled task backpack-mirror-run as a full run', async () => {
    const scheduler = backend.scheduler!;
    expect(await scheduler.getScheduledTasks()).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'backpack-mirror-run', scope: 'global' })]),
    );
    const before = new Set(
      (await request(server).get('/api/backpack/runs?limit=500')).body.items.map((r: { id: string }) => r.id),
    );
    // The task awaits its run, so the scheduler's global lock covers it.
    await scheduler.triggerTask('backpack-mirror-run');
    const walked = (await request(server).get('/api/backpack/runs?limit=500')).body.items.filter(
      (r: { id: string }) => !before.has(r.id),
    );
    expect(walked).toHaveLength(1);
    // The walk is done when the task returns; the run settles once its
    // files (none new here) are collected.
    expect(['collecting', 'succeeded']).toContain(walked[0].status);
    await waitForRun(walked[0].id);
    const runs = (await request(server).get('/api/backpack/runs?limit=500')).body.items;
    const scheduled = runs.filter((r: { id: string }) => !before.has(r.id));
    expect(scheduled).toEqual([
      expect.objectContaining({
        trigger: 'schedule',
        status: 'succeeded',
        counters: expect.objectContaining({ versionsSelected: expect.any(Number) }),
      }),
    ]);
    expect(scheduled[0].scope).toBeUndefined();
    // Every root was walked again: the generated closure is still selected.
    expect(await selectedThroughApi(server, 'npm')).toEqual(
      expect.arrayContaining(generated.closure),
    );
  });
});
