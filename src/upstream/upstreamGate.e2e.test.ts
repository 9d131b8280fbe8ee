import { createHash } from 'node:crypto';
import request from 'supertest';
import { BackpackBackend, startBackpackBackend } from '../__testUtils__/backpackBackend';
import { HostileUpstream } from '../__testUtils__/hostileUpstream';
import { pollUntil, waitFor } from '../__testUtils__/waitFor';

const SECRET = 'SECRET-INTERNAL-BODY';
const TARBALL = Buffer.from('not really a tarball, but the bytes the digest names\n');

/** Processor config: npm only, reading from `registry`. */
const npmOnly = (registry: string) => ({
  npm: { registry },
  pypi: { enabled: false },
  maven: { enabled: false },
});

/**
 * The gate at the plugin's edge: an npm registry the operator configured,
 * a file host the operator listed by name (`localhost`, which resolves to
 * loopback), and an internal server nobody allowed.
 */
describe('the upstream gate in the plugin', () => {
  let registry: HostileUpstream;
  let files: HostileUpstream;
  let internal: HostileUpstream;
  let backend: BackpackBackend;

  const packument = (name: string, tarballs: string, extra = '') =>
    `{"name":"${name}","dist-tags":{"latest":"1.0.0"},"versions":{"1.0.0":{"name":"${name}","version":"1.0.0","dist":{"tarball":"${tarballs}/${name}/-/${name}-1.0.0.tgz","shasum":"${createHash(
      'sha1',
    )
      .update(TARBALL)
      .digest('hex')}"}}}${extra}}`;

  beforeAll(async () => {
    registry = await HostileUpstream.start();
    files = await HostileUpstream.start();
    internal = await HostileUpstream.start();
    internal.on('/admin', (_req, res) => res.writeHead(200).end(SECRET));
    files
      .serve('/local-pkg/-/local-pkg-1.0.0.tgz', TARBALL)
      .serve('/packuments/local-pkg', packument('local-pkg', `http://localhost:${files.port}`));
    registry
      // Discovery follows the redirect to the listed host, by name.
      .redirect('/local-pkg', `http://localhost:${files.port}/packuments/local-pkg`)
      .redirect('/moved', `${internal.url}/admin`)
      .serve('/huge', packument('huge', registry.url, `,"padding":"${'x'.repeat(20_000)}"`));
    backend = await startBackpackBackend({
      backpack: {
        processors: npmOnly(registry.url),
        upstream: { retries: 0, maxMetadataBytes: 8192 },
        allowedHosts: [`localhost:${files.port}`],
        queue: { retryDelaysMs: [10], maxAttempts: 1 },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await Promise.all([registry.close(), files.close(), internal.close()]);
  });

  const registryOverride = () => `${internal.url}/admin?q=#`;

  it('answers 400 naming config.registry for a registry the operator did not allow', async () => {
    const body = { processor: 'npm', id: 'x', config: { registry: registryOverride() } };
    const expected = `config.registry: '${internal.url}/admin?…' is not an allowed registry (configure backpack.processors.npm.allowedRegistries)`;
    for (const route of ['/api/backpack/artifacts/preview', '/api/backpack/artifacts']) {
      const res = await request(backend.server).post(route).send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe(expected);
      expect(res.text).not.toContain(SECRET);
    }

    registry.serve('/plain', packument('plain', registry.url));
    const created = await request(backend.server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'npm', id: 'plain' });
    expect(created.status).toBe(201);
    const updated = await request(backend.server)
      .patch('/api/backpack/artifacts/npm/plain')
      .send({ config: { registry: registryOverride() } });
    expect(updated.status).toBe(400);
    expect(updated.body.error.message).toBe(expected);
    expect(internal.requests).toEqual([]);
  });

  it('fails an artifact whose packument redirects elsewhere or is too large, echoing nothing', async () => {
    for (const [id, message] of [
      ['moved', `${registry.url}/moved redirected to a refused location: Host 127.0.0.1:${internal.port} is not in the allowed hosts (${internal.url}/admin)`],
      ['huge', `${registry.url}/huge: the response is larger than backpack.upstream.maxMetadataBytes (8192 bytes)`],
    ]) {
      const res = await request(backend.server)
        .post('/api/backpack/artifacts/preview')
        .send({ processor: 'npm', id });
      expect(res.status).toBe(200);
      expect(res.body.artifacts[0]).toMatchObject({ id, error: { type: 'failed', message } });
      expect(res.text).not.toContain(SECRET);
    }
    expect(internal.requests).toEqual([]);
  });

  it('discovers and collects from a host listed in backpack.allowedHosts although it resolves to loopback', async () => {
    const created = await request(backend.server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'npm', id: 'local-pkg' });
    expect(created.status).toBe(201);
    const listed = await waitFor(
      'the file to settle',
      async () => {
        const res = await request(backend.server).get(
          '/api/backpack/artifacts/npm/local-pkg/versions/1.0.0/files',
        );
        const file = res.body.items?.[0];
        return file && ['collected', 'failed', 'parked'].includes(file.status) ? file : undefined;
      },
      { attempts: 400 },
    );
    expect(listed).toMatchObject({
      uri: `http://localhost:${files.port}/local-pkg/-/local-pkg-1.0.0.tgz`,
      status: 'collected',
    });
    expect(files.requests).toEqual(['/packuments/local-pkg', '/local-pkg/-/local-pkg-1.0.0.tgz']);
  });
});

describe('downloads that trickle', () => {
  let registry: HostileUpstream;
  let backend: BackpackBackend;
  const LORIS = ['1.0.0', '1.0.1', '1.0.2', '1.0.3'];
  const sha1 = (body: Buffer) => createHash('sha1').update(body).digest('hex');

  beforeAll(async () => {
    registry = await HostileUpstream.start();
    const versions: Record<string, unknown> = {};
    for (const version of [...LORIS, '1.1.0']) {
      versions[version] = {
        name: 'slow',
        version,
        dist: { tarball: `${registry.url}/slow/-/slow-${version}.tgz`, shasum: sha1(TARBALL) },
      };
      if (LORIS.includes(version)) {
        // One byte a second, as long as anyone listens.
        registry.on(`/slow/-/slow-${version}.tgz`, (_req, res) => {
          res.writeHead(200, { 'content-length': TARBALL.length });
          const timer = setInterval(() => res.write('x'), 1000);
          res.on('close', () => clearInterval(timer));
        });
      } else {
        registry.serve(`/slow/-/slow-${version}.tgz`, TARBALL);
      }
    }
    registry.serve(
      '/slow',
      JSON.stringify({ name: 'slow', 'dist-tags': { latest: '1.1.0' }, versions }),
    );
    backend = await startBackpackBackend({
      backpack: {
        processors: npmOnly(registry.url),
        upstream: { retries: 0 },
        collection: {
          download: { minBytesPerSecond: 100, rateWindowSeconds: 0.5, timeoutSeconds: 60 },
        },
        queue: { concurrency: 2, retryDelaysMs: [10], maxAttempts: 2 },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await registry.close();
  });

  it('fail by the minimum rate instead of holding the workers, and the other file is collected', async () => {
    const started = Date.now();
    const created = await request(backend.server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'npm', id: 'slow', filter: '>=1.0.0' });
    expect(created.status).toBe(201);

    const fileOf = async (version: string) => {
      const res = await request(backend.server).get(
        `/api/backpack/artifacts/npm/slow/versions/${version}/files`,
      );
      return res.body.items?.[0];
    };
    const settled = await pollUntil(
      'the files to settle',
      () => Promise.all([...LORIS, '1.1.0'].map(fileOf)),
      files =>
        files[4]?.status === 'collected' &&
        files.slice(0, 4).every(file => file?.attempts >= 1 && file.error),
      { attempts: 600, intervalMs: 100 },
    );
    expect(settled[4]).toMatchObject({ status: 'collected' });
    for (const file of settled.slice(0, 4)) {
      expect(file.collected).toBe(false);
      expect(file.error).toMatch(
        /slower than 100 bytes\/s \(backpack\.collection\.download\.minBytesPerSecond\)/,
      );
    }
    // Generous: without the minimum rate these would take minutes each.
    expect(Date.now() - started).toBeLessThan(45_000);
  }, 60_000);
});
