import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { BackpackBackend, startBackpackBackend } from '../../__testUtils__/backpackBackend';
import { HostileUpstream } from '../../__testUtils__/hostileUpstream';
import { byName, filesOf } from '../../__testUtils__/api';
import { EXAMPLE_PROCESSOR, startJsonIndex } from './__testUtils__/jsonIndex';
import { writeMisbehavingProcessor } from './__testUtils__/misbehavingProcessor';
import { isAlive, waitFor } from '../../plugins/host/__testUtils__/testPlugin';

// The README's example processor (Python) in the whole plugin: preview,
// run, collection from a local server with a retry, and refusals.

/**
 * Runs the example without a network of its own where user namespaces are
 * available, proving it reaches its index only through Backpack's fetch;
 * elsewhere (no unshare, or namespaces disabled) it runs as is.
 */
function sandboxed(command: string[]): string[] {
  const probe = spawnSync('unshare', ['-rn', 'true'], { timeout: 5000 });
  return probe.status === 0 ? ['unshare', '-rn', ...command] : command;
}

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('external processor: the example JSON index processor on %p', databaseId => {
  let upstream: HostileUpstream;
  let downloads: Record<string, number>;
  let backend: BackpackBackend;

  beforeAll(async () => {
    ({ upstream, downloads } = await startJsonIndex());
    backend = await startBackpackBackend({
      knex: await databases.init(databaseId),
      backpack: {
        queue: { retryDelaysMs: [10, 10], maxAttempts: 3 },
        exports: { settleSeconds: 1 },
        processors: {
          external: [
            {
              name: 'json-index',
              command: sandboxed(['python3', EXAMPLE_PROCESSOR]),
              env: { INDEX_URL: `${upstream.url}/index/` },
              allowedHosts: [upstream.url],
              timeoutMs: 10_000,
            },
          ],
        },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await upstream?.close();
  });

  it('is listed with the version scheme its handshake declares', async () => {
    const body = await backend.poll<{ items: any[] }>('/api/backpack/processors', listed =>
      listed.items.some(p => p.name === 'json-index' && p.rangeLanguage === 'semver'),
    );
    expect(body.items.find(p => p.name === 'json-index')).toMatchObject({
      description: 'Packages of a static JSON index (example external processor)',
      rangeLanguage: 'semver',
    });
  });

  it('previews a closure without writing anything', async () => {
    const res = await request(backend.server)
      .post('/api/backpack/artifacts/preview')
      .send({ processor: 'json-index', id: 'hello', filter: '1.0.0' });
    expect(res.status).toBe(200);
    expect(res.body.totals).toMatchObject({ artifacts: 2, versions: 2 });
    expect(JSON.stringify(res.body)).toContain('greeting');
    // Read through Backpack's fetch, which retried the 503.
    expect(downloads['greeting/index.json']).toBe(2);
    const list = await request(backend.server).get('/api/backpack/artifacts?processor=json-index');
    expect(list.body.items).toEqual([]);
  });

  it('runs and collects the closure, retrying a download that failed once', async () => {
    const created = await request(backend.server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'json-index', id: 'Hello', filter: '1.0.0' });
    expect(created.status).toBe(201);
    // Lower-cased, as the plugin's handshake asked.
    expect(created.body.id).toBe('hello');
    const run = await backend.waitForRun(created.body.runId);
    expect(run.status).toBe('succeeded');
    expect(run.counters).toMatchObject({ filesQueued: 2, filesCollected: 2, filesFailed: 0 });

    const hello = byName(await filesOf(backend.server, 'json-index', 'hello'));
    expect(hello['hello-1.0.0.tar.gz']).toMatchObject({ status: 'collected', attempts: 1 });
    const greeting = byName(await filesOf(backend.server, 'json-index', 'greeting'));
    expect(greeting['greeting-1.0.0.tar.gz']).toMatchObject({ status: 'collected', attempts: 2 });
    expect(downloads['greeting-1.0.0.tar.gz']).toBe(2);
    // Only the selected version was downloaded.
    expect(downloads['hello-1.1.0.tar.gz']).toBeUndefined();

    const artifact = await request(backend.server).get('/api/backpack/artifacts/json-index/hello');
    expect(artifact.body.dependencies).toEqual([
      expect.objectContaining({ processor: 'json-index', id: 'greeting', range: '^1.0.0', resolved: ['1.0.0'] }),
    ]);
  });

  it('exports the collected files in a bundle, under their storage keys', async () => {
    const created = await request(backend.server)
      .post('/api/backpack/exports')
      .send({ processors: ['json-index'] });
    expect(created.status).toBe(202);
    await backend.poll(`/api/backpack/exports/${created.body.id}`, body => {
      if (body.status === 'failed') throw new Error(`export failed: ${body.error}`);
      return body.status === 'succeeded';
    });
    const manifest = await request(backend.server).get(`/api/backpack/exports/${created.body.id}/manifest`);
    expect(manifest.status).toBe(200);
    const paths = (JSON.parse(manifest.text).files as Array<{ path: string; sha256: string }>).map(f => f.path);
    // Only the collected (selected) files, at their storage keys: no layout is registered for it; and the SBOM.
    expect(paths.sort()).toEqual([
      'json-index/greeting/1.0.0/greeting-1.0.0.tar.gz',
      'json-index/hello/1.0.0/hello-1.0.0.tar.gz',
      'sbom.cdx.json',
    ]);
  });

  it('fails a file whose bytes do not match the digest the plugin gave', async () => {
    const created = await request(backend.server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'json-index', id: 'broken' });
    expect(created.status).toBe(201);
    const run = await backend.waitForRun(created.body.runId);
    expect(run.counters).toMatchObject({ filesCollected: 0, filesFailed: 1 });
    const [file] = await filesOf(backend.server, 'json-index', 'broken');
    expect(file).toMatchObject({ status: 'parked' });
    expect(file.error).toMatch(/digest|sha256|integrity/i);
  });

  it('never downloads a file from a host outside the host policy', async () => {
    const created = await request(backend.server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'json-index', id: 'elsewhere' });
    expect(created.status).toBe(201);
    const run = await backend.waitForRun(created.body.runId);
    expect(run.counters).toMatchObject({ filesCollected: 0, filesFailed: 1 });
    const [file] = await filesOf(backend.server, 'json-index', 'elsewhere');
    expect(file).toMatchObject({ status: 'parked' });
    expect(file.error).toMatch(/not in the allowed hosts/);
  });

  it("reports the plugin's not-found in the preview, and refuses config keys it does not take with 400", async () => {
    const missing = await request(backend.server)
      .post('/api/backpack/artifacts/preview')
      .send({ processor: 'json-index', id: 'no-such-package' });
    expect(missing.status).toBe(200);
    expect(missing.body.artifacts[0]).toMatchObject({
      id: 'no-such-package',
      error: { type: 'not-found', message: 'package no-such-package is not in the index' },
    });
    const badId = await request(backend.server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'json-index', id: 'no spaces!' });
    expect(badId.status).toBe(400);
    expect(badId.body.error.message).toMatch(/not a valid json-index id/);
    const invalid = await request(backend.server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'json-index', id: 'hello', config: { colour: 'blue' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.message).toMatch(/unknown json-index config key\(s\): colour/);
  });
});

describe('external processor: backend shutdown', () => {
  it('stops the plugin with the backend, killing one that ignores the polite stop after the grace period', async () => {
    const pidFile = join(mkdtempSync(join(tmpdir(), 'backpack-pids-')), 'pids');
    const backend = await startBackpackBackend({
      backpack: {
        processors: {
          external: [
            {
              name: 'stubborn',
              command: writeMisbehavingProcessor(),
              env: { STUBBORN: '1', PID_FILE: pidFile },
              graceMs: 300,
            },
          ],
        },
      },
    });
    // Started by the backend's startup, to learn its version scheme.
    await backend.poll<{ items: any[] }>('/api/backpack/processors', body =>
      body.items.some(p => p.name === 'stubborn' && p.rangeLanguage === 'pep440'),
    );
    const [pid, grandchild] = readFileSync(pidFile, 'utf8').split(' ').map(Number);
    expect(isAlive(pid) && isAlive(grandchild)).toBe(true);
    await backend.stop();
    await waitFor(() => !isAlive(pid) && !isAlive(grandchild));
  });
});
