import request from 'supertest';
import { selectedThroughApi } from '../__testUtils__/api';
import { BackpackBackend, startBackpackBackend, TestServer } from '../__testUtils__/backpackBackend';
import { readNpmClosure, startNpmCorpusVerdaccio } from '../__testUtils__/npmCorpus';
import { TestNpmRegistry } from '../__testUtils__/verdaccio';
import { pollUntil } from '../__testUtils__/waitFor';
import { MirrorRun } from '../types';

jest.setTimeout(60_000);

// A preview and a run of the real express closure through the REST API,
// over the frozen npm corpus (npm run test:corpus); runs.e2e.test.ts does
// the same with a generated package set.

describe('mirror runs of the npm corpus through the REST API', () => {
  let registry: TestNpmRegistry;
  let backend: BackpackBackend;
  let server: TestServer;

  beforeAll(async () => {
    registry = await startNpmCorpusVerdaccio();
    backend = await startBackpackBackend({
      manualScheduler: true,
      backpack: {
        processors: { npm: { registry: registry.url }, maven: { enabled: false } },
        upstream: { retries: 0 },
        allowedHosts: [new URL(registry.url).host],
      },
    });
    server = backend.server;
  });

  afterAll(async () => {
    await backend?.stop();
    await registry?.stop();
  });

  const getRun = async (id: string): Promise<MirrorRun> => {
    const res = await request(server).get(`/api/backpack/runs/${id}`);
    expect(res.status).toBe(200);
    return res.body;
  };
  const waitForRun = (id: string) => backend.waitForRun(id, { attempts: 1200, intervalMs: 25 });
  const poll = <T>(read: () => Promise<T>, done: (value: T) => boolean) =>
    pollUntil('the condition', read, done, { attempts: 1200, intervalMs: 25 });

  it('previews the express closure without writing, and a real run then selects the same', async () => {
    const body = { processor: 'npm', id: 'express', filter: '4.21.2', dependencyPolicy: 'latest' };
    const preview = await request(server).post('/api/backpack/artifacts/preview').send(body);
    expect(preview.status).toBe(200);
    const closure = await readNpmClosure('express');
    expect(preview.body.closure).toEqual({ npm: closure });
    expect(preview.body.unresolvable).toEqual([]);
    expect(preview.body.totals).toEqual({
      artifacts: 70,
      versions: 72,
      files: 72,
      // npm's abbreviated packuments do not give tarball sizes.
      bytes: 0,
      filesWithoutSize: 72,
    });
    const root = preview.body.artifacts[0];
    expect(root).toMatchObject({
      processor: 'npm',
      id: 'express',
      root: true,
      filter: '4.21.2',
      filterType: 'semver',
      versions: [
        {
          version: '4.21.2',
          selection: [{ type: 'filter', filter: '4.21.2' }],
          files: [
            {
              name: 'express-4.21.2.tgz',
              uri: expect.stringMatching(/\/express\/-\/express-4\.21\.2\.tgz$/),
              storageKey: 'files/npm/express/4.21.2/express-4.21.2.tgz',
              integrity: { algorithm: 'sha512', digest: expect.stringMatching(/^[0-9a-f]{128}$/) },
            },
          ],
        },
      ],
    });
    const accepts = preview.body.artifacts.find((a: { id: string }) => a.id === 'accepts');
    expect(accepts.versions[0].selection).toEqual([
      { type: 'required-by', processor: 'npm', id: 'express', version: '4.21.2', range: '~1.3.8' },
    ]);

    // Nothing was written: no artifact, no run.
    const artifacts = await request(server).get('/api/backpack/artifacts');
    expect(artifacts.body.total).toBe(0);
    const runs = await request(server).get('/api/backpack/runs');
    expect(runs.body.total).toBe(0);

    const created = await request(server).post('/api/backpack/artifacts').send(body);
    expect(created.status).toBe(201);
    expect(await waitForRun(created.body.runId)).toMatchObject({
      trigger: 'artifact',
      status: 'succeeded',
      counters: { artifacts: 70, versionsSelected: 72, filesQueued: 72 },
    });
    expect(await selectedThroughApi(server, 'npm')).toEqual(closure);
    // The collector fetched every tarball of the closure.
    const collected = await poll(
      () => getRun(created.body.runId),
      run => run.counters.filesCollected + run.counters.filesFailed === 72,
    );
    expect(collected.counters).toMatchObject({ filesCollected: 72, filesFailed: 0 });
    expect(collected.counters.bytes).toBeGreaterThan(0);
  });
});
