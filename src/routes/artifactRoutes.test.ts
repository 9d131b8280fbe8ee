import { mockCredentials } from '@backstage/backend-test-utils';
import { ConflictError, NotFoundError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import {
  backpackArtifactConditions,
  backpackArtifactReadPermission,
  createBackpackArtifactConditionalDecision,
} from '../permissions';
import { artifactOf, createRouterHarness, RouterHarness, runOf } from './__testUtils__/routerHarness';

// The /artifacts routes alone, on fake services (see routerHarness.ts).

const rootsOnly = createBackpackArtifactConditionalDecision(
  backpackArtifactReadPermission,
  backpackArtifactConditions.isRoot({ root: true }),
);

describe('artifact routes', () => {
  let harness: RouterHarness;

  beforeEach(async () => {
    harness = await createRouterHarness();
  });

  describe('POST /artifacts', () => {
    it('creates through the service, starts a run scoped to it and audits both ids', async () => {
      const { artifacts, runs } = harness.services;
      const artifact = artifactOf({ processor: 'test', id: 'app', filter: '1.0.0' });
      artifacts.create.mockResolvedValue({ artifact, promoted: false });
      runs.startRun.mockResolvedValue(runOf({ id: 'b2f7c1de-0000-4000-8000-000000000001' }));

      const res = await request(harness.app)
        .post('/artifacts')
        .send({ processor: 'test', id: ' app ', filter: '1.0.0' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ ...artifact, promoted: false, runId: 'b2f7c1de-0000-4000-8000-000000000001' });
      // The body is parsed (the id trimmed) before the service sees it.
      expect(artifacts.create).toHaveBeenCalledWith(
        { processor: 'test', id: 'app', filter: '1.0.0' },
        'user:default/mock',
      );
      expect(runs.startRun).toHaveBeenCalledWith({
        trigger: 'artifact',
        scope: { processor: 'test', id: 'app' },
        requestedBy: 'user:default/mock',
      });
      expect(harness.events).toEqual([
        expect.objectContaining({
          options: expect.objectContaining({ eventId: 'artifact-create', severityLevel: 'medium' }),
          outcome: 'success',
          meta: { id: 'app', promoted: false, runId: 'b2f7c1de-0000-4000-8000-000000000001' },
        }),
      ]);
    });

    it('records a service principal as the creator', async () => {
      const { artifacts, runs } = harness.services;
      artifacts.create.mockResolvedValue({ artifact: artifactOf({ processor: 'test', id: 'x' }), promoted: true });
      runs.startRun.mockResolvedValue(runOf());
      const res = await request(harness.app)
        .post('/artifacts')
        .set('Authorization', mockCredentials.service.header({ onBehalfOf: mockCredentials.service('external:ci'), targetPluginId: 'backpack' }))
        .send({ processor: 'test', id: 'x' });
      expect(res.status).toBe(201);
      expect(artifacts.create).toHaveBeenCalledWith({ processor: 'test', id: 'x' }, 'external:ci');
    });

    it.each([
      [{ processor: 'test' }, /^id: /],
      [{ processor: 'test', id: '   ' }, /^id: must not be empty$/],
      [{ processor: 'test', id: 'x', colour: 'red' }, /^colour: Unknown key$/],
      [{ processor: 'test', id: 'x', dependencyPolicy: 'some' }, /^dependencyPolicy: /],
    ])('answers 400 naming the field for %j, without calling a service', async (body, message) => {
      const res = await request(harness.app).post('/artifacts').send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
      expect(res.body.error.message).toMatch(message);
      expect(harness.services.artifacts.create).not.toHaveBeenCalled();
      expect(harness.events).toEqual([expect.objectContaining({ outcome: 'fail' })]);
    });

    it('answers 403 without the create permission, and audits the refusal', async () => {
      harness.decisions['backpack.artifact.create'] = { result: AuthorizeResult.DENY };
      const res = await request(harness.app).post('/artifacts').send({ processor: 'test', id: 'x' });
      expect(res.status).toBe(403);
      expect(harness.services.artifacts.create).not.toHaveBeenCalled();
      expect(harness.events[0]).toMatchObject({ outcome: 'fail', error: { name: 'NotAllowedError' } });
    });

    it("passes the service's errors through: a conflict is 409 and starts no run", async () => {
      harness.services.artifacts.create.mockRejectedValue(new ConflictError('test:x is already a root'));
      const res = await request(harness.app).post('/artifacts').send({ processor: 'test', id: 'x' });
      expect(res.status).toBe(409);
      expect(harness.services.runs.startRun).not.toHaveBeenCalled();
    });

    it('answers 401 without credentials', async () => {
      const res = await request(harness.app)
        .post('/artifacts')
        .set('Authorization', mockCredentials.none.header())
        .send({ processor: 'test', id: 'x' });
      expect(res.status).toBe(401);
    });
  });

  it('POST /artifacts/preview previews through the service and audits at low severity', async () => {
    const preview = {
      artifacts: [],
      closure: {},
      unresolvable: [],
      totals: { artifacts: 3, versions: 4, files: 4, bytes: 0, filesWithoutSize: 4 },
    };
    harness.services.artifacts.preview.mockResolvedValue(preview as any);
    const res = await request(harness.app).post('/artifacts/preview').send({ processor: 'test', id: 'app' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(preview);
    expect(harness.services.artifacts.preview).toHaveBeenCalledWith(
      { processor: 'test', id: 'app' },
      { signal: expect.any(AbortSignal) },
    );
    expect(harness.events[0]).toMatchObject({
      options: { eventId: 'artifact-preview', severityLevel: 'low' },
      meta: { artifacts: 3, versions: 4, unresolvable: 0 },
    });
  });

  describe('GET /artifacts', () => {
    it('pages with the parsed query and no filter when reading is allowed', async () => {
      harness.services.artifacts.list.mockResolvedValue({ items: [], total: 0 });
      const res = await request(harness.app).get('/artifacts?root=false&q=lib&limit=5&offset=10');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ items: [], total: 0, limit: 5, offset: 10 });
      expect(harness.services.artifacts.list).toHaveBeenCalledWith({
        processor: undefined,
        root: false,
        status: undefined,
        search: 'lib',
        limit: 5,
        offset: 10,
        filter: undefined,
      });
    });

    it('hands a conditional decision to the service as a query filter', async () => {
      harness.decisions[backpackArtifactReadPermission.name] = rootsOnly;
      harness.services.artifacts.list.mockResolvedValue({ items: [], total: 0 });
      await request(harness.app).get('/artifacts');
      expect(harness.services.artifacts.list).toHaveBeenCalledWith(
        expect.objectContaining({ filter: { key: 'root', value: true }, limit: 50, offset: 0 }),
      );
    });

    it.each([
      ['/artifacts?limit=501', /^limit: /],
      ['/artifacts?root=yes', /^root: /],
      ['/artifacts?status=gone', /^status: /],
    ])('answers 400 for %s', async (url, message) => {
      const res = await request(harness.app).get(url);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(message);
      expect(harness.services.artifacts.list).not.toHaveBeenCalled();
    });

    it('answers 403 when reading is denied', async () => {
      harness.decisions[backpackArtifactReadPermission.name] = { result: AuthorizeResult.DENY };
      expect((await request(harness.app).get('/artifacts')).status).toBe(403);
    });
  });

  describe('reads of one artifact', () => {
    it('answers the details of a readable artifact', async () => {
      const app = artifactOf({ processor: 'test', id: '@scope/pkg' });
      harness.services.artifacts.find.mockResolvedValue(app);
      harness.services.artifacts.getDetails.mockResolvedValue({ ...app, counts: {}, dependencies: [] } as any);
      const res = await request(harness.app).get('/artifacts/test/%40scope%2Fpkg');
      expect(res.status).toBe(200);
      expect(res.body.id).toBe('@scope/pkg');
      expect(harness.services.artifacts.find).toHaveBeenCalledWith('test', '@scope/pkg');
      expect(harness.services.artifacts.getDetails).toHaveBeenCalledWith('test', '@scope/pkg');
    });

    it('answers 404, as for a missing one, for an artifact a condition hides', async () => {
      harness.decisions[backpackArtifactReadPermission.name] = rootsOnly;
      harness.services.artifacts.find.mockResolvedValue(artifactOf({ processor: 'test', id: 'lib', root: false }));
      for (const url of [
        '/artifacts/test/lib',
        '/artifacts/test/lib/versions',
        '/artifacts/test/lib/versions/1.0.0/files',
        '/artifacts/test/lib/sbom',
      ]) {
        const res = await request(harness.app).get(url);
        expect(res.status).toBe(404);
        expect(res.body.error.name).toBe('NotFoundError');
      }
      expect(harness.services.artifacts.getDetails).not.toHaveBeenCalled();
      expect(harness.services.artifacts.listVersions).not.toHaveBeenCalled();
      expect(harness.services.artifacts.listFiles).not.toHaveBeenCalled();
      expect(harness.services.exports.artifactSbom).not.toHaveBeenCalled();
    });

    it("answers a root's SBOM limited to what the caller may read", async () => {
      harness.decisions[backpackArtifactReadPermission.name] = rootsOnly;
      harness.services.artifacts.find.mockResolvedValue(artifactOf({ processor: 'test', id: '@scope/app', root: true }));
      harness.services.exports.artifactSbom.mockResolvedValue('{"bomFormat":"CycloneDX"}');
      const res = await request(harness.app).get('/artifacts/test/%40scope%2Fapp/sbom');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/vnd\.cyclonedx\+json/);
      expect(res.text).toBe('{"bomFormat":"CycloneDX"}');
      const [root, canRead] = harness.services.exports.artifactSbom.mock.calls[0];
      expect(root).toEqual({ processor: 'test', id: '@scope/app' });
      expect(canRead(artifactOf({ processor: 'test', id: 'dep', root: false }))).toBe(false);
      expect(canRead(artifactOf({ processor: 'test', id: 'other', root: true }))).toBe(true);
    });

    it('pages versions and files with the parsed query', async () => {
      harness.services.artifacts.find.mockResolvedValue(artifactOf({ processor: 'test', id: 'lib' }));
      harness.services.artifacts.listVersions.mockResolvedValue({ items: [], total: 3 });
      harness.services.artifacts.listFiles.mockResolvedValue({ items: [], total: 1 });
      const versions = await request(harness.app).get('/artifacts/test/lib/versions?status=selected&limit=1');
      expect(versions.body).toEqual({ items: [], total: 3, limit: 1, offset: 0 });
      expect(harness.services.artifacts.listVersions).toHaveBeenCalledWith('test', 'lib', {
        status: 'selected',
        limit: 1,
        offset: 0,
      });
      const files = await request(harness.app).get('/artifacts/test/lib/versions/1.1.0/files?status=parked');
      expect(files.body).toEqual({ items: [], total: 1, limit: 50, offset: 0 });
      expect(harness.services.artifacts.listFiles).toHaveBeenCalledWith('test', 'lib', '1.1.0', {
        status: 'parked',
        limit: 50,
        offset: 0,
      });
      const bad = await request(harness.app).get('/artifacts/test/lib/versions?status=nope');
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/^status: /);
    });
  });

  describe('writes of one artifact', () => {
    beforeEach(() => {
      harness.services.artifacts.find.mockResolvedValue(artifactOf({ processor: 'test', id: 'app' }));
    });

    it('PATCH updates with the parsed body and audits the changed fields', async () => {
      harness.services.artifacts.update.mockResolvedValue(artifactOf({ processor: 'test', id: 'app', filter: '2.x' }));
      const res = await request(harness.app).patch('/artifacts/test/app').send({ filter: '2.x', dependencyPolicy: 'none' });
      expect(res.status).toBe(200);
      expect(res.body.filter).toBe('2.x');
      expect(harness.services.artifacts.update).toHaveBeenCalledWith('test', 'app', { filter: '2.x', dependencyPolicy: 'none' });
      expect(harness.events[0]).toMatchObject({
        options: { eventId: 'artifact-update', meta: { processor: 'test', id: 'app' } },
        meta: { changed: ['filter', 'dependencyPolicy'] },
      });
      const unknown = await request(harness.app).patch('/artifacts/test/app').send({ root: false });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.message).toBe('root: Unknown key');
    });

    it('PATCH answers 403 when the update permission is denied on the artifact', async () => {
      harness.decisions['backpack.artifact.update'] = { result: AuthorizeResult.DENY };
      const res = await request(harness.app).patch('/artifacts/test/app').send({ filter: null });
      expect(res.status).toBe(403);
      expect(harness.services.artifacts.update).not.toHaveBeenCalled();
    });

    it('DELETE purges the orphaned objects only when asked to', async () => {
      harness.services.artifacts.delete.mockResolvedValue({ orphanedStorageKeys: ['files/test/app/1/a.tgz'] } as any);
      harness.services.collection.purgeObjects.mockResolvedValue(1);
      expect((await request(harness.app).delete('/artifacts/test/app')).status).toBe(204);
      expect(harness.services.collection.purgeObjects).not.toHaveBeenCalled();

      expect((await request(harness.app).delete('/artifacts/test/app?purge=true')).status).toBe(204);
      expect(harness.services.collection.purgeObjects).toHaveBeenCalledWith(['files/test/app/1/a.tgz']);
      expect(harness.events.map(e => [e.options.eventId, e.options.severityLevel, e.meta])).toEqual([
        ['artifact-delete', 'high', undefined],
        ['artifact-delete', 'high', { purged: 1 }],
      ]);
      const bad = await request(harness.app).delete('/artifacts/test/app?purge=yes');
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/^purge: /);
    });

    it('DELETE answers 404 for an artifact the service does not find', async () => {
      harness.services.artifacts.find.mockResolvedValue(undefined);
      const res = await request(harness.app).delete('/artifacts/test/gone');
      expect(res.status).toBe(404);
      expect(harness.services.artifacts.delete).not.toHaveBeenCalled();
    });
  });

  it('maps a NotFoundError of the service to 404', async () => {
    harness.services.artifacts.find.mockResolvedValue(artifactOf({ processor: 'test', id: 'app' }));
    harness.services.artifacts.listFiles.mockRejectedValue(new NotFoundError('no version 9.9.9'));
    const res = await request(harness.app).get('/artifacts/test/app/versions/9.9.9/files');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe('no version 9.9.9');
  });
});
