import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { z } from 'zod';
import { backpackProcessorsExtensionPoint } from './extensions';
import {
  backpackArtifactConditions,
  backpackArtifactReadPermission,
  createBackpackArtifactConditionalDecision,
} from './permissions';
import { backpackPlugin } from './plugin';
import { semverScheme } from './processors/npm/semverScheme';
import { BackpackProcessor, ProcessorVersion } from './processors/types';
import { AuditRecord, collectingAuditor } from './__testUtils__/collectingAuditor';
import { permissionsWithPolicy } from './__testUtils__/permissionPolicy';

// The "upstream" of the test processor: package -> version -> dependencies.
const UPSTREAM: Record<string, Record<string, Record<string, string>>> = {
  app: {
    '1.0.0': { lib: '^1.0.0' },
    '2.0.0': { lib: '^2.0.0' },
  },
  lib: { '1.0.0': {}, '1.1.0': {}, '2.0.0': {} },
  shared: { '1.0.0': {} },
  'uses-shared': { '1.0.0': { shared: '^1.0.0' } },
  '@scope/pkg': { '1.0.0': {}, '1.1.0': {} },
};

const fileContent = (id: string, version: string) => `${id}@${version}\n`;

/**
 * A processor over the in-memory upstream above, whose files a local HTTP
 * server serves. Ids are case-insensitive, to show normalisation.
 */
function createTestProcessor(fileServer: string): BackpackProcessor {
  return {
    name: 'test',
    description: 'In-memory packages for the plugin tests',
    configSchema: z.strictObject({
      registry: z.url().optional(),
      includeDev: z.boolean().optional(),
    }),
    versions: semverScheme,
    normalizeId: id => id.toLowerCase(),
    async discover({ id }) {
      const versions = UPSTREAM[id] ?? { '0.1.0': {} };
      return {
        notModified: false,
        versions: Object.entries(versions).map(
          ([version, dependencies]): ProcessorVersion => {
            const content = fileContent(id, version);
            const name = `${id.replace('/', '-')}-${version}.tgz`;
            return {
              version,
              files: [
                {
                  name,
                  uri: `${fileServer}/files/${encodeURIComponent(id)}/${version}`,
                  path: `${id}/-/${name}`,
                  integrity: {
                    algorithm: 'sha256',
                    digest: createHash('sha256').update(content).digest('hex'),
                  },
                  size: Buffer.byteLength(content),
                },
              ],
              dependencies: Object.entries(dependencies).map(([dep, range]) => ({
                processor: 'test',
                id: dep,
                range,
                kind: 'runtime' as const,
              })),
            };
          },
        ),
      };
    },
  };
}


type TestServer = Parameters<typeof request>[0];

/**
 * Polls a run until it settled (walked, and every file it queued collected
 * or parked); bounded, and no assertion on time.
 */
async function waitForRunOn(server: TestServer, runId: string) {
  for (let attempt = 0; attempt < 600; attempt++) {
    const res = await request(server).get(`/api/backpack/runs/${runId}`);
    if (res.status !== 200) {
      throw new Error(`GET /runs/${runId} answered ${res.status}`);
    }
    if (['succeeded', 'partial', 'failed'].includes(res.body.status)) {
      return res.body;
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  throw new Error(`run ${runId} did not finish`);
}

describe('backpack plugin', () => {
  let fileServer: http.Server;
  let fileServerUrl: string;
  let storageDir: string;

  beforeAll(async () => {
    fileServer = http.createServer((req, res) => {
      const match = /^\/files\/([^/]+)\/([^/]+)$/.exec(req.url ?? '');
      if (!match) {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.end(fileContent(decodeURIComponent(match[1]), match[2]));
    });
    await new Promise<void>(resolve =>
      fileServer.listen(0, '127.0.0.1', resolve),
    );
    const { port } = fileServer.address() as AddressInfo;
    fileServerUrl = `http://127.0.0.1:${port}`;
    storageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-plugin-'));
  });

  afterAll(async () => {
    await new Promise(resolve => fileServer.close(resolve));
    await fs.rm(storageDir, { recursive: true, force: true });
  });

  async function startBackend(extraFeatures: any[] = []) {
    const testProcessorModule = createBackendModule({
      pluginId: 'backpack',
      moduleId: 'test-processor',
      register(env) {
        env.registerInit({
          deps: { processors: backpackProcessorsExtensionPoint },
          async init({ processors }) {
            processors.addProcessor(createTestProcessor(fileServerUrl));
          },
        });
      },
    });
    return startTestBackend({
      features: [
        backpackPlugin,
        testProcessorModule,
        mockServices.rootConfig.factory({
          data: {
            backpack: {
              storage: { local: { directory: storageDir } },
              allowedHosts: [new URL(fileServerUrl).host],
              queue: { retryDelaysMs: [10, 10], maxAttempts: 2 },
            },
          },
        }),
        ...extraFeatures,
      ],
    });
  }

  describe('with every permission allowed', () => {
    let backend: Awaited<ReturnType<typeof startBackend>>;
    let server: TestServer;
    const events: AuditRecord[] = [];

    beforeAll(async () => {
      backend = await startBackend([collectingAuditor(events)]);
      server = backend.server;
    });

    afterAll(async () => {
      await backend.stop();
    });

    const waitForRun = (runId: string) => waitForRunOn(server, runId);

    async function createArtifact(body: object) {
      const res = await request(server).post('/api/backpack/artifacts').send(body);
      expect(res.status).toBe(201);
      return res.body;
    }

    it('answers /health without credentials', async () => {
      const res = await request(server)
        .get('/api/backpack/health')
        .set('Authorization', mockCredentials.none.header());
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('refuses other routes without credentials', async () => {
      const res = await request(server)
        .get('/api/backpack/artifacts')
        .set('Authorization', mockCredentials.none.header());
      expect(res.status).toBe(401);
    });

    it('lists processors with their range language and config schema', async () => {
      const res = await request(server).get('/api/backpack/processors');
      expect(res.status).toBe(200);
      const test = res.body.items.find((p: any) => p.name === 'test');
      expect(test).toEqual({
        name: 'test',
        description: 'In-memory packages for the plugin tests',
        rangeLanguage: 'semver',
        configSchema: expect.objectContaining({
          type: 'object',
          additionalProperties: false,
          properties: {
            registry: expect.objectContaining({ type: 'string', format: 'uri' }),
            includeDev: { type: 'boolean' },
          },
        }),
      });
    });

    it('creates an artifact, runs it, and shows counts and dependencies', async () => {
      const created = await createArtifact({
        processor: 'test',
        id: 'App',
        filter: '1.0.0',
        config: { includeDev: true },
      });
      expect(created).toMatchObject({
        processor: 'test',
        id: 'app',
        filter: '1.0.0',
        filterType: 'semver',
        config: { includeDev: true },
        root: true,
        dependencyPolicy: 'latest',
        createdBy: 'user:default/mock',
        promoted: false,
      });
      expect(created.runId).toEqual(expect.any(String));

      const run = await waitForRun(created.runId);
      expect(run).toMatchObject({
        trigger: 'artifact',
        scope: { processor: 'test', id: 'app' },
        requestedBy: 'user:default/mock',
        status: 'succeeded',
      });

      const res = await request(server).get('/api/backpack/artifacts/test/app');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        processor: 'test',
        id: 'app',
        counts: { versions: 2, selectedVersions: 1, files: 1 },
      });
      expect(res.body.dependencies).toEqual([
        expect.objectContaining({
          processor: 'test',
          id: 'lib',
          range: '^1.0.0',
          kind: 'runtime',
          resolved: ['1.1.0'],
        }),
      ]);
      // Internal bookkeeping stays out of the API.
      expect(res.body).not.toHaveProperty('ref');
      expect(res.body).not.toHaveProperty('validators');

      // The dependency was pulled in as a non-root artifact.
      const lib = await request(server).get('/api/backpack/artifacts/test/lib');
      expect(lib.status).toBe(200);
      expect(lib.body.root).toBe(false);
    });

    it('reads ids that need URL encoding', async () => {
      await createArtifact({ processor: 'test', id: '@scope/pkg' });
      const res = await request(server).get(
        '/api/backpack/artifacts/test/%40scope%2Fpkg',
      );
      expect(res.status).toBe(200);
      expect(res.body.id).toBe('@scope/pkg');
    });

    it('pages versions and files, filtered by status', async () => {
      const created = await createArtifact({
        processor: 'test',
        id: 'lib-versions',
      });
      await waitForRun(created.runId);
      const created2 = await createArtifact({
        processor: 'test',
        id: 'lib',
        filter: '^1.0.0',
      });
      await waitForRun(created2.runId);

      const all = await request(server).get(
        '/api/backpack/artifacts/test/lib/versions',
      );
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ total: 3, limit: 50, offset: 0 });
      expect(all.body.items.map((v: any) => v.version).sort()).toEqual([
        '1.0.0',
        '1.1.0',
        '2.0.0',
      ]);

      const selected = await request(server).get(
        '/api/backpack/artifacts/test/lib/versions?status=selected',
      );
      expect(selected.body.total).toBe(2);
      expect(selected.body.items.map((v: any) => v.version).sort()).toEqual([
        '1.0.0',
        '1.1.0',
      ]);
      expect(
        selected.body.items.every((v: any) => v.status === 'selected'),
      ).toBe(true);

      const page = await request(server).get(
        '/api/backpack/artifacts/test/lib/versions?limit=1&offset=1',
      );
      expect(page.body).toMatchObject({ total: 3, limit: 1, offset: 1 });
      expect(page.body.items).toHaveLength(1);

      const files = await request(server).get(
        '/api/backpack/artifacts/test/lib/versions/1.1.0/files',
      );
      expect(files.status).toBe(200);
      expect(files.body.total).toBe(1);
      expect(files.body.items[0]).toMatchObject({
        name: 'lib-1.1.0.tgz',
        integrity: { algorithm: 'sha256' },
      });

      const none = await request(server).get(
        '/api/backpack/artifacts/test/lib/versions/1.1.0/files?status=parked',
      );
      expect(none.status).toBe(200);
      expect(none.body).toMatchObject({ items: [], total: 0 });

      const unknownVersion = await request(server).get(
        '/api/backpack/artifacts/test/lib/versions/9.9.9/files',
      );
      expect(unknownVersion.status).toBe(404);
      expect(unknownVersion.body.error.name).toBe('NotFoundError');

      const badStatus = await request(server).get(
        '/api/backpack/artifacts/test/lib/versions?status=nope',
      );
      expect(badStatus.status).toBe(400);
      expect(badStatus.body.error.message).toMatch(/^status: /);
    });

    it('promotes an artifact that exists as a dependency to a root', async () => {
      const parent = await createArtifact({ processor: 'test', id: 'uses-shared' });
      await waitForRun(parent.runId);
      const before = await request(server).get('/api/backpack/artifacts/test/shared');
      expect(before.body.root).toBe(false);

      const promoted = await createArtifact({
        processor: 'test',
        id: 'shared',
        filter: '1.0.0',
      });
      expect(promoted).toMatchObject({ root: true, promoted: true, filter: '1.0.0' });

      const again = await request(server)
        .post('/api/backpack/artifacts')
        .send({ processor: 'test', id: 'shared' });
      expect(again.status).toBe(409);
    });

    it('lists artifacts with filters, search, stable order and a total', async () => {
      for (const id of ['page-c', 'page-a', 'page-b', 'page-d']) {
        await createArtifact({ processor: 'test', id });
      }
      const first = await request(server).get(
        '/api/backpack/artifacts?q=PAGE-&limit=3',
      );
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ total: 4, limit: 3, offset: 0 });
      expect(first.body.items.map((a: any) => a.id)).toEqual([
        'page-a',
        'page-b',
        'page-c',
      ]);
      const second = await request(server).get(
        '/api/backpack/artifacts?q=page-&limit=3&offset=3',
      );
      expect(second.body.items.map((a: any) => a.id)).toEqual(['page-d']);

      const roots = await request(server).get('/api/backpack/artifacts?root=true&limit=500');
      expect(roots.body.items.length).toBeGreaterThan(0);
      expect(roots.body.items.every((a: any) => a.root)).toBe(true);
      const deps = await request(server).get('/api/backpack/artifacts?root=false&limit=500');
      expect(deps.body.items.every((a: any) => !a.root)).toBe(true);

      const otherProcessor = await request(server).get(
        '/api/backpack/artifacts?processor=npm',
      );
      expect(otherProcessor.body).toMatchObject({ items: [], total: 0 });

      const tooMany = await request(server).get('/api/backpack/artifacts?limit=501');
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.error.message).toMatch(/^limit: /);
      const badRoot = await request(server).get('/api/backpack/artifacts?root=yes');
      expect(badRoot.status).toBe(400);
      expect(badRoot.body.error.message).toMatch(/^root: /);
    });

    it.each([
      [{ processor: 'test' }, /^id: Required$/],
      [{ processor: 'test', id: '' }, /^id: must not be empty$/],
      [{ id: 'x' }, /^processor: Required$/],
      [{ processor: 'nope', id: 'x' }, /^processor: unknown processor 'nope'/],
      [
        { processor: 'test', id: 'x', filter: '(', filterType: 'regex' },
        /^filter: invalid regular expression/,
      ],
      [
        { processor: 'test', id: 'x', filter: '>>1.0', filterType: 'semver' },
        /^filter: '>>1.0' is not a valid semver range$/,
      ],
      [
        { processor: 'test', id: 'x', filter: '(a' },
        /^filter: '\(a' is neither a valid semver range nor a valid regular expression$/,
      ],
      [
        { processor: 'test', id: 'x', config: { registry: 'not a url' } },
        /^config\.registry: Invalid URL$/,
      ],
      [
        { processor: 'test', id: 'x', config: { includeDev: 'yes' } },
        /^config\.includeDev: Invalid input: expected boolean, received string$/,
      ],
      [
        { processor: 'test', id: 'x', config: { mirror: true } },
        /^config\.mirror: Unknown key$/,
      ],
      [
        { processor: 'test', id: 'x', dependencyPolicy: 'some' },
        /^dependencyPolicy: /,
      ],
      [{ processor: 'test', id: 'x', colour: 'red' }, /^colour: Unknown key$/],
    ])('refuses %j with 400', async (body, message) => {
      const res = await request(server).post('/api/backpack/artifacts').send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
      expect(res.body.error.message).toMatch(message);
    });

    it('refuses a body that is not JSON with 400', async () => {
      const res = await request(server)
        .post('/api/backpack/artifacts')
        .set('Content-Type', 'application/json')
        .send('{"processor": ');
      expect(res.status).toBe(400);
    });

    it('detects a regex filter', async () => {
      const created = await createArtifact({
        processor: 'test',
        id: 'regex-detected',
        filter: '^1\\.(0|1)\\..*$',
      });
      expect(created.filterType).toBe('regex');
    });

    it('answers 409 for an existing root, under its normalised id too', async () => {
      await createArtifact({ processor: 'test', id: 'twice' });
      const res = await request(server)
        .post('/api/backpack/artifacts')
        .send({ processor: 'test', id: 'TWICE' });
      expect(res.status).toBe(409);
      expect(res.body.error.name).toBe('ConflictError');
      expect(res.body.error.message).toContain('test:twice');
    });

    it('updates an artifact and validates the change', async () => {
      await createArtifact({ processor: 'test', id: 'patched', filter: '^1.0.0' });

      const regex = await request(server)
        .patch('/api/backpack/artifacts/test/patched')
        .send({ filter: '^2\\.', dependencyPolicy: 'none', config: { includeDev: false } });
      expect(regex.status).toBe(200);
      expect(regex.body).toMatchObject({
        filter: '^2\\.',
        filterType: 'regex',
        dependencyPolicy: 'none',
        config: { includeDev: false },
      });

      const cleared = await request(server)
        .patch('/api/backpack/artifacts/test/patched')
        .send({ filter: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body.filter).toBeUndefined();
      expect(cleared.body.filterType).toBeUndefined();

      const invalid = await request(server)
        .patch('/api/backpack/artifacts/test/patched')
        .send({ filter: '>>1', filterType: 'semver' });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.message).toMatch(/^filter: /);

      const badConfig = await request(server)
        .patch('/api/backpack/artifacts/test/patched')
        .send({ config: { registry: 'x' } });
      expect(badConfig.status).toBe(400);
      expect(badConfig.body.error.message).toBe('config.registry: Invalid URL');

      const unknownField = await request(server)
        .patch('/api/backpack/artifacts/test/patched')
        .send({ root: false });
      expect(unknownField.status).toBe(400);
      expect(unknownField.body.error.message).toBe('root: Unknown key');

      const missing = await request(server)
        .patch('/api/backpack/artifacts/test/missing')
        .send({ filter: null });
      expect(missing.status).toBe(404);
    });

    it('deletes an artifact', async () => {
      await createArtifact({ processor: 'test', id: 'deleted' });
      const res = await request(server).delete('/api/backpack/artifacts/test/deleted');
      expect(res.status).toBe(204);
      const gone = await request(server).get('/api/backpack/artifacts/test/deleted');
      expect(gone.status).toBe(404);
      expect(gone.body.error.name).toBe('NotFoundError');
      const again = await request(server).delete('/api/backpack/artifacts/test/deleted');
      expect(again.status).toBe(404);
    });

    it('answers 404 for unknown artifacts and unknown processors', async () => {
      for (const url of [
        '/api/backpack/artifacts/test/unknown',
        '/api/backpack/artifacts/nope/x',
        '/api/backpack/artifacts/test/unknown/versions',
      ]) {
        const res = await request(server).get(url);
        expect(res.status).toBe(404);
      }
    });

    it('starts, lists and shows runs', async () => {
      await createArtifact({ processor: 'test', id: 'run-target' });
      const scoped = await request(server)
        .post('/api/backpack/runs')
        .send({ processor: 'test', id: 'Run-Target' });
      expect(scoped.status).toBe(202);
      expect(scoped.body).toMatchObject({
        trigger: 'manual',
        scope: { processor: 'test', id: 'run-target' },
        requestedBy: 'user:default/mock',
      });
      await waitForRun(scoped.body.id);

      const all = await request(server).post('/api/backpack/runs');
      expect(all.status).toBe(202);
      expect(all.body.scope).toBeUndefined();
      const finished = await waitForRun(all.body.id);
      expect(finished.status).toBe('succeeded');

      const list = await request(server).get('/api/backpack/runs?limit=1');
      expect(list.status).toBe(200);
      expect(list.body.items).toHaveLength(1);
      expect(list.body.total).toBeGreaterThanOrEqual(2);
      expect(list.body).toMatchObject({ limit: 1, offset: 0 });

      const succeeded = await request(server).get('/api/backpack/runs?status=succeeded');
      expect(succeeded.body.items.every((r: any) => r.status === 'succeeded')).toBe(
        true,
      );

      const unknown = await request(server).get(
        '/api/backpack/runs/00000000-0000-4000-8000-000000000000',
      );
      expect(unknown.status).toBe(404);

      const half = await request(server)
        .post('/api/backpack/runs')
        .send({ processor: 'test' });
      expect(half.status).toBe(400);
      expect(half.body.error.message).toMatch(/^body: processor and id go together/);

      const missing = await request(server)
        .post('/api/backpack/runs')
        .send({ processor: 'test', id: 'not-there' });
      expect(missing.status).toBe(404);
    });

    it('accepts service principals', async () => {
      const header = mockCredentials.service.header({
        onBehalfOf: mockCredentials.service('external:ci-script'),
        targetPluginId: 'backpack',
      });
      const created = await request(server)
        .post('/api/backpack/artifacts')
        .set('Authorization', header)
        .send({ processor: 'test', id: 'from-ci' });
      expect(created.status).toBe(201);
      expect(created.body.createdBy).toBe('external:ci-script');

      const run = await request(server)
        .post('/api/backpack/runs')
        .set('Authorization', header);
      expect(run.status).toBe(202);
      expect(run.body.requestedBy).toBe('external:ci-script');

      const list = await request(server)
        .get('/api/backpack/artifacts?q=from-ci')
        .set('Authorization', header);
      expect(list.status).toBe(200);
      expect(list.body.total).toBe(1);
    });

    it('audits every write with success or failure', async () => {
      events.length = 0;
      await createArtifact({ processor: 'test', id: 'audited' });
      await request(server)
        .post('/api/backpack/artifacts')
        .send({ processor: 'test', id: 'audited' });
      await request(server)
        .patch('/api/backpack/artifacts/test/audited')
        .send({ filter: '1.x' });
      await request(server).delete('/api/backpack/artifacts/test/audited');
      await request(server).post('/api/backpack/runs');
      // Reads are not audited.
      await request(server).get('/api/backpack/artifacts');

      const summary = events.map(e => ({
        eventId: e.options.eventId,
        severityLevel: e.options.severityLevel,
        outcome: e.outcome,
        meta: e.options.meta,
      }));
      expect(summary).toEqual([
        {
          eventId: 'artifact-create',
          severityLevel: 'medium',
          outcome: 'success',
          meta: { processor: 'test', id: 'audited' },
        },
        {
          eventId: 'artifact-create',
          severityLevel: 'medium',
          outcome: 'fail',
          meta: { processor: 'test', id: 'audited' },
        },
        {
          eventId: 'artifact-update',
          severityLevel: 'medium',
          outcome: 'success',
          meta: { processor: 'test', id: 'audited' },
        },
        {
          eventId: 'artifact-delete',
          severityLevel: 'high',
          outcome: 'success',
          meta: { processor: 'test', id: 'audited' },
        },
        {
          eventId: 'run-create',
          severityLevel: 'high',
          outcome: 'success',
          meta: undefined,
        },
      ]);
      expect(events[1].error?.name).toBe('ConflictError');
      expect(events.every(e => e.options.request)).toBe(true);
    });
  });

  describe('with every permission denied', () => {
    let backend: Awaited<ReturnType<typeof startBackend>>;
    const events: AuditRecord[] = [];

    beforeAll(async () => {
      backend = await startBackend([
        mockServices.permissions.factory({ result: AuthorizeResult.DENY }),
        collectingAuditor(events),
      ]);
    });

    afterAll(async () => {
      await backend.stop();
    });

    it.each([
      ['post', '/api/backpack/artifacts', { processor: 'test', id: 'x' }],
      ['get', '/api/backpack/artifacts', undefined],
      ['get', '/api/backpack/artifacts/test/x', undefined],
      ['get', '/api/backpack/artifacts/test/x/versions', undefined],
      ['get', '/api/backpack/artifacts/test/x/versions/1.0.0/files', undefined],
      ['patch', '/api/backpack/artifacts/test/x', { filter: null }],
      ['delete', '/api/backpack/artifacts/test/x', undefined],
      ['post', '/api/backpack/runs', undefined],
    ] as const)('answers 403 to %s %s', async (method, url, body) => {
      const res = await request(backend.server)[method](url).send(body);
      expect(res.status).toBe(403);
      expect(res.body.error.name).toBe('NotAllowedError');
    });

    it('audits refused writes as failures', async () => {
      events.length = 0;
      await request(backend.server)
        .post('/api/backpack/artifacts')
        .send({ processor: 'test', id: 'x' });
      expect(events).toHaveLength(1);
      expect(events[0].options.eventId).toBe('artifact-create');
      expect(events[0].outcome).toBe('fail');
      expect(events[0].error?.name).toBe('NotAllowedError');
    });
  });

  describe('with conditional read decisions', () => {
    let backend: Awaited<ReturnType<typeof startBackend>>;
    let readDecision: PolicyDecision;

    beforeAll(async () => {
      backend = await startBackend([
        permissionsWithPolicy(name =>
          name === backpackArtifactReadPermission.name
            ? readDecision
            : { result: AuthorizeResult.ALLOW },
        ),
      ]);
      readDecision = { result: AuthorizeResult.ALLOW };
      // Roots a1..a3 plus the non-root dependency lib that app pulls in.
      for (const id of ['a1', 'a2', 'a3', 'app']) {
        const res = await request(backend.server)
          .post('/api/backpack/artifacts')
          .send({ processor: 'test', id, filter: id === 'app' ? '1.0.0' : undefined });
        if (res.status !== 201) {
          throw new Error(`creating ${id} answered ${res.status}`);
        }
        await waitForRunOn(backend.server, res.body.runId);
      }
    });

    afterAll(async () => {
      await backend.stop();
    });

    it('restricts lists in the query, so pages and totals stay right', async () => {
      readDecision = { result: AuthorizeResult.ALLOW };
      const everything = await request(backend.server).get('/api/backpack/artifacts');
      expect(everything.body.items.map((a: any) => a.id)).toEqual([
        'a1',
        'a2',
        'a3',
        'app',
        'lib',
      ]);

      readDecision = createBackpackArtifactConditionalDecision(
        backpackArtifactReadPermission,
        backpackArtifactConditions.isRoot({ root: false }),
      );
      const deps = await request(backend.server).get('/api/backpack/artifacts');
      expect(deps.status).toBe(200);
      expect(deps.body).toMatchObject({ total: 1, items: [{ id: 'lib' }] });

      readDecision = createBackpackArtifactConditionalDecision(
        backpackArtifactReadPermission,
        {
          allOf: [
            backpackArtifactConditions.isRoot({ root: true }),
            backpackArtifactConditions.hasProcessor({ processors: ['test'] }),
          ],
        },
      );
      const page = await request(backend.server).get(
        '/api/backpack/artifacts?limit=2&offset=2',
      );
      expect(page.body.total).toBe(4);
      expect(page.body.items.map((a: any) => a.id)).toEqual(['a3', 'app']);

      readDecision = createBackpackArtifactConditionalDecision(
        backpackArtifactReadPermission,
        { not: backpackArtifactConditions.hasProcessor({ processors: ['test'] }) },
      );
      const none = await request(backend.server).get('/api/backpack/artifacts');
      expect(none.body).toMatchObject({ items: [], total: 0 });
    });

    it('registers its permissions and rules with the permission system', async () => {
      const metadata = await request(backend.server).get(
        '/api/backpack/.well-known/backstage/permissions/metadata',
      );
      expect(metadata.status).toBe(200);
      expect(metadata.body.permissions.map((p: any) => p.name).sort()).toEqual([
        'backpack.artifact.create',
        'backpack.artifact.delete',
        'backpack.artifact.read',
        'backpack.artifact.update',
        'backpack.export.create',
        'backpack.export.delete',
        'backpack.file.retry',
        'backpack.run.create',
        'backpack.run.read',
      ]);
      expect(
        metadata.body.rules.map((r: any) => [r.name, r.resourceType]).sort(),
      ).toEqual([
        ['HAS_PROCESSOR', 'backpack-artifact'],
        ['IS_ROOT', 'backpack-artifact'],
      ]);

      // What the permission backend asks when a policy's conditions must be
      // evaluated on resource refs: the artifacts are loaded by `<processor>:<id>`.
      const applied = await request(backend.server)
        .post('/api/backpack/.well-known/backstage/permissions/apply-conditions')
        .set('Authorization', mockCredentials.service.header())
        .send({
          items: [
            {
              id: '1',
              resourceType: 'backpack-artifact',
              resourceRef: ['test:app', 'test:lib', 'test:missing', 'nonsense'],
              conditions: backpackArtifactConditions.isRoot({ root: true }),
            },
          ],
        });
      expect(applied.status).toBe(200);
      expect(applied.body.items[0].result).toEqual([
        AuthorizeResult.ALLOW,
        AuthorizeResult.DENY,
        AuthorizeResult.DENY,
        AuthorizeResult.DENY,
      ]);
    });

    it('applies conditions to single artifacts', async () => {
      readDecision = createBackpackArtifactConditionalDecision(
        backpackArtifactReadPermission,
        backpackArtifactConditions.isRoot({ root: true }),
      );
      const root = await request(backend.server).get('/api/backpack/artifacts/test/a1');
      expect(root.status).toBe(200);
      // Not readable looks exactly like missing.
      const dependency = await request(backend.server).get(
        '/api/backpack/artifacts/test/lib',
      );
      expect(dependency.status).toBe(404);
      const versions = await request(backend.server).get(
        '/api/backpack/artifacts/test/lib/versions',
      );
      expect(versions.status).toBe(404);
    });
  });
});
