import { mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';
import { withTestProcessorBackend } from './__testUtils__/testProcessor';

// The plugin as a whole through its REST API, with an in-memory `test`
// processor: health, authentication, processors, and reading what adding
// artifacts created. Writes: plugin.writes.e2e.test.ts; permissions:
// plugin.permissions.e2e.test.ts.

describe('backpack plugin', () => {
  describe('with every permission allowed', () => {
    const plugin = withTestProcessorBackend();
    const { waitForRun, createArtifact } = plugin;

    it('answers /health without credentials', async () => {
      const res = await request(plugin.server)
        .get('/api/backpack/health')
        .set('Authorization', mockCredentials.none.header());
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('refuses other routes without credentials', async () => {
      const res = await request(plugin.server)
        .get('/api/backpack/artifacts')
        .set('Authorization', mockCredentials.none.header());
      expect(res.status).toBe(401);
    });

    it('lists processors with their range language and config schema', async () => {
      const res = await request(plugin.server).get('/api/backpack/processors');
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

      const res = await request(plugin.server).get('/api/backpack/artifacts/test/app');
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
      const lib = await request(plugin.server).get('/api/backpack/artifacts/test/lib');
      expect(lib.status).toBe(200);
      expect(lib.body.root).toBe(false);
    });

    it('reads ids that need URL encoding', async () => {
      await createArtifact({ processor: 'test', id: '@scope/pkg' });
      const res = await request(plugin.server).get(
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

      const all = await request(plugin.server).get(
        '/api/backpack/artifacts/test/lib/versions',
      );
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ total: 3, limit: 50, offset: 0 });
      expect(all.body.items.map((v: any) => v.version).sort()).toEqual([
        '1.0.0',
        '1.1.0',
        '2.0.0',
      ]);

      const selected = await request(plugin.server).get(
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

      const page = await request(plugin.server).get(
        '/api/backpack/artifacts/test/lib/versions?limit=1&offset=1',
      );
      expect(page.body).toMatchObject({ total: 3, limit: 1, offset: 1 });
      expect(page.body.items).toHaveLength(1);

      const files = await request(plugin.server).get(
        '/api/backpack/artifacts/test/lib/versions/1.1.0/files',
      );
      expect(files.status).toBe(200);
      expect(files.body.total).toBe(1);
      expect(files.body.items[0]).toMatchObject({
        name: 'lib-1.1.0.tgz',
        integrity: { algorithm: 'sha256' },
      });

      const none = await request(plugin.server).get(
        '/api/backpack/artifacts/test/lib/versions/1.1.0/files?status=parked',
      );
      expect(none.status).toBe(200);
      expect(none.body).toMatchObject({ items: [], total: 0 });

      const unknownVersion = await request(plugin.server).get(
        '/api/backpack/artifacts/test/lib/versions/9.9.9/files',
      );
      expect(unknownVersion.status).toBe(404);
      expect(unknownVersion.body.error.name).toBe('NotFoundError');

      const badStatus = await request(plugin.server).get(
        '/api/backpack/artifacts/test/lib/versions?status=nope',
      );
      expect(badStatus.status).toBe(400);
      expect(badStatus.body.error.message).toMatch(/^status: /);
    });

    it('promotes an artifact that exists as a dependency to a root', async () => {
      const parent = await createArtifact({ processor: 'test', id: 'uses-shared' });
      await waitForRun(parent.runId);
      const before = await request(plugin.server).get('/api/backpack/artifacts/test/shared');
      expect(before.body.root).toBe(false);

      const promoted = await createArtifact({
        processor: 'test',
        id: 'shared',
        filter: '1.0.0',
      });
      expect(promoted).toMatchObject({ root: true, promoted: true, filter: '1.0.0' });

      const again = await request(plugin.server)
        .post('/api/backpack/artifacts')
        .send({ processor: 'test', id: 'shared' });
      expect(again.status).toBe(409);
    });

    it('lists artifacts with filters, search, stable order and a total', async () => {
      for (const id of ['page-c', 'page-a', 'page-b', 'page-d']) {
        await createArtifact({ processor: 'test', id });
      }
      const first = await request(plugin.server).get(
        '/api/backpack/artifacts?q=PAGE-&limit=3',
      );
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ total: 4, limit: 3, offset: 0 });
      expect(first.body.items.map((a: any) => a.id)).toEqual([
        'page-a',
        'page-b',
        'page-c',
      ]);
      const second = await request(plugin.server).get(
        '/api/backpack/artifacts?q=page-&limit=3&offset=3',
      );
      expect(second.body.items.map((a: any) => a.id)).toEqual(['page-d']);

      const roots = await request(plugin.server).get('/api/backpack/artifacts?root=true&limit=500');
      expect(roots.body.items.length).toBeGreaterThan(0);
      expect(roots.body.items.every((a: any) => a.root)).toBe(true);
      const deps = await request(plugin.server).get('/api/backpack/artifacts?root=false&limit=500');
      expect(deps.body.items.every((a: any) => !a.root)).toBe(true);

      const otherProcessor = await request(plugin.server).get(
        '/api/backpack/artifacts?processor=npm',
      );
      expect(otherProcessor.body).toMatchObject({ items: [], total: 0 });

      const tooMany = await request(plugin.server).get('/api/backpack/artifacts?limit=501');
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.error.message).toMatch(/^limit: /);
      const badRoot = await request(plugin.server).get('/api/backpack/artifacts?root=yes');
      expect(badRoot.status).toBe(400);
      expect(badRoot.body.error.message).toMatch(/^root: /);
    });

    it('detects a regex filter', async () => {
      const created = await createArtifact({
        processor: 'test',
        id: 'regex-detected',
        filter: '^1\\.(0|1)\\..*$',
      });
      expect(created.filterType).toBe('regex');
    });
  });
});
