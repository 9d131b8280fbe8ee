import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import Router from 'express-promise-router';
import { createHash } from 'node:crypto';
import { IncomingHttpHeaders } from 'node:http';
import request from 'supertest';
import { filesOf } from '../__testUtils__/api';
import { BackpackBackend, startBackpackBackend } from '../__testUtils__/backpackBackend';
import { HostileUpstream } from '../__testUtils__/hostileUpstream';
import { waitFor } from '../__testUtils__/waitFor';
import { backpackPlugin } from '../plugin';

const TOKEN = 'ghe-token-0123456789';
const bytesOf = (name: string) => Buffer.from(`the bytes of ${name}\n`);
const sha1 = (body: Buffer) => createHash('sha1').update(body).digest('hex');

/** A packument of one version whose tarball is at `tarball`. */
function packument(name: string, tarball: string, shasum: string | undefined = sha1(bytesOf(name))) {
  return JSON.stringify({
    name,
    'dist-tags': { latest: '1.0.0' },
    versions: { '1.0.0': { name, version: '1.0.0', dist: { tarball, ...(shasum ? { shasum } : {}) } } },
  });
}

/** Another plugin of the same backend, reading through its own UrlReaderService. */
const otherPlugin = createBackendPlugin({
  pluginId: 'other',
  register(env) {
    env.registerInit({
      deps: { urlReader: coreServices.urlReader, httpRouter: coreServices.httpRouter },
      async init({ urlReader, httpRouter }) {
        const router = Router();
        router.get('/read', async (req, res) => {
          const response = await urlReader.readUrl(String(req.query.url));
          res.send(await response.buffer());
        });
        httpRouter.use(router);
      },
    });
  },
});

/**
 * Files enter through the backend's UrlReaderService: the npm registry
 * (127.0.0.1) is Backpack's; a mirror allowed only by
 * `backend.reading.allow` (localhost, under `/pkgs/`) is read by
 * Backstage's FetchUrlReader; a GitHub Enterprise-like host in
 * `integrations.github` (localhost too, another port) by GithubUrlReader
 * with its token, redirecting downloads to a storage host (127.0.0.1).
 */
describe('collection through the UrlReaderService', () => {
  let registry: HostileUpstream;
  let mirror: HostileUpstream;
  let ghe: HostileUpstream;
  let storage: HostileUpstream;
  let backend: BackpackBackend;
  const seen = new Map<string, IncomingHttpHeaders>();

  /** Serves `body` at `path` of `server`, recording the request's headers. */
  const recordAndServe = (server: HostileUpstream, path: string, body: Buffer) =>
    server.on(path, (req, res) => {
      seen.set(`${server.port}${path}`, req.headers);
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
  const headersAt = (server: HostileUpstream, path: string) => seen.get(`${server.port}${path}`);

  beforeAll(async () => {
    [registry, mirror, ghe, storage] = await Promise.all(
      Array.from({ length: 4 }, () => HostileUpstream.start()),
    );
    const onMirror = (path: string) => `http://localhost:${mirror.port}${path}`;
    recordAndServe(mirror, '/pkgs/mirrored-1.0.0.tgz', bytesOf('mirrored'));
    recordAndServe(mirror, '/pkgs/hello.txt', Buffer.from('hello'));
    mirror
      .serve('/pkgs/corrupt-1.0.0.tgz', bytesOf('something else'))
      .serve('/pkgs/unsigned-1.0.0.tgz', bytesOf('unsigned'))
      .serve('/elsewhere/outside-1.0.0.tgz', bytesOf('outside'));
    // GithubUrlReader asks the contents API, which redirects the download
    // to object storage on another host, as GitHub does.
    ghe.on('/api/v3/repos/acme/tools/contents/released-1.0.0.tgz', (req, res) => {
      seen.set('ghe-api', req.headers);
      res.writeHead(302, { location: `${storage.url}/objects/released?sig=1` }).end();
    });
    recordAndServe(storage, '/objects/released', bytesOf('released'));
    registry
      .serve('/mirrored', packument('mirrored', onMirror('/pkgs/mirrored-1.0.0.tgz')))
      .serve('/corrupt', packument('corrupt', onMirror('/pkgs/corrupt-1.0.0.tgz')))
      .serve('/unsigned', packument('unsigned', onMirror('/pkgs/unsigned-1.0.0.tgz'), ''))
      .serve('/outside', packument('outside', onMirror('/elsewhere/outside-1.0.0.tgz')))
      .serve(
        '/released',
        packument('released', `http://localhost:${ghe.port}/acme/tools/blob/v1.0.0/released-1.0.0.tgz`),
      );
    backend = await startBackpackBackend({
      backpack: {
        processors: { npm: { registry: registry.url }, pypi: { enabled: false }, maven: { enabled: false } },
        upstream: { retries: 0 },
        collection: { unverifiedFiles: 'allow' },
        queue: { retryDelaysMs: [10], maxAttempts: 2 },
      },
      config: {
        backend: { reading: { allow: [{ host: `localhost:${mirror.port}`, paths: ['/pkgs/'] }] } },
        integrations: {
          github: [
            { host: `localhost:${ghe.port}`, apiBaseUrl: `http://localhost:${ghe.port}/api/v3`, token: TOKEN },
          ],
        },
      },
      features: [otherPlugin],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await Promise.all([registry, mirror, ghe, storage].map(server => server?.close()));
  });

  async function collect(id: string) {
    const created = await request(backend.server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'npm', id });
    expect(created.status).toBe(201);
    return waitFor(`${id} to settle`, async () => {
      const [file] = await filesOf(backend.server, 'npm', id);
      return file && ['collected', 'parked'].includes(file.status) ? file : undefined;
    });
  }

  it('collects from a host allowed only by backend.reading.allow, through Backstage\'s reader', async () => {
    const file = await collect('mirrored');
    expect(file).toMatchObject({ status: 'collected', verified: true, size: bytesOf('mirrored').length });
    // Not Backpack's transport: that one says who it is.
    expect(headersAt(mirror, '/pkgs/mirrored-1.0.0.tgz')?.['user-agent']).not.toBe('backpack');
  });

  it("collects a GitHub Enterprise file with the integration's token, never sent on after the redirect", async () => {
    const file = await collect('released');
    expect(file).toMatchObject({ status: 'collected', verified: true });
    expect(seen.get('ghe-api')?.authorization).toBe(`Bearer ${TOKEN}`);
    const stored = headersAt(storage, '/objects/released');
    expect(stored).toBeDefined();
    expect(stored?.authorization).toBeUndefined();
    expect(JSON.stringify(stored)).not.toContain(TOKEN);
  });

  it('verifies what Backstage\'s readers stream, and refuses what no reader may read', async () => {
    expect(await collect('corrupt')).toMatchObject({
      status: 'parked',
      errorKind: 'permanent',
      error: expect.stringMatching(/integrity|digest/i),
    });
    // Outside the allowed paths: refused before any request, never retried.
    expect(await collect('outside')).toMatchObject({
      status: 'parked',
      attempts: 1,
      errorKind: 'permanent',
      error: expect.stringContaining(`Host localhost:${mirror.port} is not in the allowed hosts`),
    });
    // No digest: only Backpack's own reader may fetch it, whatever unverifiedFiles says.
    expect(await collect('unsigned')).toMatchObject({
      status: 'parked',
      attempts: 1,
      errorKind: 'permanent',
      error: expect.stringContaining('unverified files are read only from Backpack\'s hosts'),
    });
    expect(mirror.requests).not.toContain('/elsewhere/outside-1.0.0.tgz');
    expect(mirror.requests).not.toContain('/pkgs/unsigned-1.0.0.tgz');
  });

  it("leaves other plugins' readers as they are", async () => {
    const read = (url: string) => request(backend.server).get(`/api/other/read?url=${encodeURIComponent(url)}`);
    // Backpack's registry is not in backend.reading.allow: refused for them.
    const refused = await read(`${registry.url}/other.txt`);
    expect(refused.status).toBe(403);
    expect(registry.requests).not.toContain('/other.txt');
    const allowed = await read(`http://localhost:${mirror.port}/pkgs/hello.txt`);
    expect(allowed.status).toBe(200);
    expect(headersAt(mirror, '/pkgs/hello.txt')?.['user-agent']).not.toBe('backpack');
  });
});

describe('a host both Backpack and an integration name', () => {
  let registry: HostileUpstream;
  let ghe: HostileUpstream;
  let backend: BackpackBackend;
  let downloaded: IncomingHttpHeaders | undefined;

  beforeAll(async () => {
    [registry, ghe] = await Promise.all([HostileUpstream.start(), HostileUpstream.start()]);
    const path = '/acme/tools/raw/v1.0.0/owned-1.0.0.tgz';
    ghe.on(path, (req, res) => {
      downloaded = req.headers;
      res.writeHead(200).end(bytesOf('owned'));
    });
    registry.serve('/owned', packument('owned', `http://localhost:${ghe.port}${path}`));
    backend = await startBackpackBackend({
      backpack: {
        processors: { npm: { registry: registry.url }, pypi: { enabled: false }, maven: { enabled: false } },
        upstream: { retries: 0 },
        allowedHosts: [`localhost:${ghe.port}`],
      },
      config: {
        integrations: {
          github: [
            { host: `localhost:${ghe.port}`, apiBaseUrl: `http://localhost:${ghe.port}/api/v3`, token: TOKEN },
          ],
        },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await Promise.all([registry, ghe].map(server => server?.close()));
  });

  it("is read by Backpack's reader, without the integration's token", async () => {
    await request(backend.server).post('/api/backpack/artifacts').send({ processor: 'npm', id: 'owned' });
    const file = await waitFor('owned to be collected', async () => {
      const [found] = await filesOf(backend.server, 'npm', 'owned');
      return found?.status === 'collected' ? found : undefined;
    });
    expect(file.verified).toBe(true);
    expect(downloaded?.['user-agent']).toBe('backpack');
    expect(downloaded?.authorization).toBeUndefined();
    expect(ghe.requests.filter(p => p.startsWith('/api/'))).toEqual([]);
  });
});

describe('a backend without Backpack\'s URL reader', () => {
  it('does not start the plugin, rather than read its hosts ungated', async () => {
    await expect(
      startTestBackend({
        features: [backpackPlugin, mockServices.rootConfig.factory({ data: {} })],
      }),
    ).rejects.toThrow(/Backpack's URL reader is not part of the backpack plugin's UrlReaderService/);
  });
});
