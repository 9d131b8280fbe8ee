import {
  mockCredentials,
  mockServices,
} from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import request from 'supertest';
import {
  backpackArtifactConditions,
  backpackArtifactReadPermission,
  createBackpackArtifactConditionalDecision,
} from './permissions';
import { waitForRun as waitForRunOn } from './__testUtils__/api';
import { BackpackBackend } from './__testUtils__/backpackBackend';
import { AuditRecord, collectingAuditor } from './__testUtils__/collectingAuditor';
import { permissionsWithPolicy } from './__testUtils__/permissionPolicy';
import { startTestProcessorBackend } from './__testUtils__/testProcessor';

// The plugin as a whole under permission policies that deny everything or
// answer reads with conditions.

describe('backpack plugin', () => {
  describe('with every permission denied', () => {
    let backend: BackpackBackend;
    const events: AuditRecord[] = [];

    beforeAll(async () => {
      backend = await startTestProcessorBackend([
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
    let backend: BackpackBackend;
    let readDecision: PolicyDecision;

    beforeAll(async () => {
      backend = await startTestProcessorBackend([
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
        'backpack.version.approve',
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
