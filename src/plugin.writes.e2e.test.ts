import { mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';
import { withTestProcessorBackend } from './__testUtils__/testProcessor';

// The plugin as a whole through its REST API, with an in-memory `test`
// processor: validation, conflicts, updates, deletes, runs, service
// principals and the audit of every write.

describe('backpack plugin', () => {
  describe('with every permission allowed', () => {
    const plugin = withTestProcessorBackend();
    const { events, waitForRun, createArtifact } = plugin;

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
      const res = await request(plugin.server).post('/api/backpack/artifacts').send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
      expect(res.body.error.message).toMatch(message);
    });

    it('refuses a body that is not JSON with 400', async () => {
      const res = await request(plugin.server)
        .post('/api/backpack/artifacts')
        .set('Content-Type', 'application/json')
        .send('{"processor": ');
      expect(res.status).toBe(400);
    });

    it('answers 409 for an existing root, under its normalised id too', async () => {
      await createArtifact({ processor: 'test', id: 'twice' });
      const res = await request(plugin.server)
        .post('/api/backpack/artifacts')
        .send({ processor: 'test', id: 'TWICE' });
      expect(res.status).toBe(409);
      expect(res.body.error.name).toBe('ConflictError');
      expect(res.body.error.message).toContain('test:twice');
    });

    it('updates an artifact and validates the change', async () => {
      await createArtifact({ processor: 'test', id: 'patched', filter: '^1.0.0' });

      const regex = await request(plugin.server)
        .patch('/api/backpack/artifacts/test/patched')
        .send({ filter: '^2\\.', dependencyPolicy: 'none', config: { includeDev: false } });
      expect(regex.status).toBe(200);
      expect(regex.body).toMatchObject({
        filter: '^2\\.',
        filterType: 'regex',
        dependencyPolicy: 'none',
        config: { includeDev: false },
      });

      const cleared = await request(plugin.server)
        .patch('/api/backpack/artifacts/test/patched')
        .send({ filter: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body.filter).toBeUndefined();
      expect(cleared.body.filterType).toBeUndefined();

      const invalid = await request(plugin.server)
        .patch('/api/backpack/artifacts/test/patched')
        .send({ filter: '>>1', filterType: 'semver' });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.message).toMatch(/^filter: /);

      const badConfig = await request(plugin.server)
        .patch('/api/backpack/artifacts/test/patched')
        .send({ config: { registry: 'x' } });
      expect(badConfig.status).toBe(400);
      expect(badConfig.body.error.message).toBe('config.registry: Invalid URL');

      const unknownField = await request(plugin.server)
        .patch('/api/backpack/artifacts/test/patched')
        .send({ root: false });
      expect(unknownField.status).toBe(400);
      expect(unknownField.body.error.message).toBe('root: Unknown key');

      const missing = await request(plugin.server)
        .patch('/api/backpack/artifacts/test/missing')
        .send({ filter: null });
      expect(missing.status).toBe(404);
    });

    it('deletes an artifact', async () => {
      await createArtifact({ processor: 'test', id: 'deleted' });
      const res = await request(plugin.server).delete('/api/backpack/artifacts/test/deleted');
      expect(res.status).toBe(204);
      const gone = await request(plugin.server).get('/api/backpack/artifacts/test/deleted');
      expect(gone.status).toBe(404);
      expect(gone.body.error.name).toBe('NotFoundError');
      const again = await request(plugin.server).delete('/api/backpack/artifacts/test/deleted');
      expect(again.status).toBe(404);
    });

    it('answers 404 for unknown artifacts and unknown processors', async () => {
      for (const url of [
        '/api/backpack/artifacts/test/unknown',
        '/api/backpack/artifacts/nope/x',
        '/api/backpack/artifacts/test/unknown/versions',
      ]) {
        const res = await request(plugin.server).get(url);
        expect(res.status).toBe(404);
      }
    });

    it('starts, lists and shows runs', async () => {
      await createArtifact({ processor: 'test', id: 'run-target' });
      const scoped = await request(plugin.server)
        .post('/api/backpack/runs')
        .send({ processor: 'test', id: 'Run-Target' });
      expect(scoped.status).toBe(202);
      expect(scoped.body).toMatchObject({
        trigger: 'manual',
        scope: { processor: 'test', id: 'run-target' },
        requestedBy: 'user:default/mock',
      });
      await waitForRun(scoped.body.id);

      const all = await request(plugin.server).post('/api/backpack/runs');
      expect(all.status).toBe(202);
      expect(all.body.scope).toBeUndefined();
      const finished = await waitForRun(all.body.id);
      expect(finished.status).toBe('succeeded');

      const list = await request(plugin.server).get('/api/backpack/runs?limit=1');
      expect(list.status).toBe(200);
      expect(list.body.items).toHaveLength(1);
      expect(list.body.total).toBeGreaterThanOrEqual(2);
      expect(list.body).toMatchObject({ limit: 1, offset: 0 });

      const succeeded = await request(plugin.server).get('/api/backpack/runs?status=succeeded');
      expect(succeeded.body.items.every((r: any) => r.status === 'succeeded')).toBe(
        true,
      );

      const unknown = await request(plugin.server).get(
        '/api/backpack/runs/00000000-0000-4000-8000-000000000000',
      );
      expect(unknown.status).toBe(404);

      const half = await request(plugin.server)
        .post('/api/backpack/runs')
        .send({ processor: 'test' });
      expect(half.status).toBe(400);
      expect(half.body.error.message).toMatch(/^body: processor and id go together/);

      const missing = await request(plugin.server)
        .post('/api/backpack/runs')
        .send({ processor: 'test', id: 'not-there' });
      expect(missing.status).toBe(404);
    });

    it('accepts service principals', async () => {
      const header = mockCredentials.service.header({
        onBehalfOf: mockCredentials.service('external:ci-script'),
        targetPluginId: 'backpack',
      });
      const created = await request(plugin.server)
        .post('/api/backpack/artifacts')
        .set('Authorization', header)
        .send({ processor: 'test', id: 'from-ci' });
      expect(created.status).toBe(201);
      expect(created.body.createdBy).toBe('external:ci-script');

      const run = await request(plugin.server)
        .post('/api/backpack/runs')
        .set('Authorization', header);
      expect(run.status).toBe(202);
      expect(run.body.requestedBy).toBe('external:ci-script');

      const list = await request(plugin.server)
        .get('/api/backpack/artifacts?q=from-ci')
        .set('Authorization', header);
      expect(list.status).toBe(200);
      expect(list.body.total).toBe(1);
    });

    it('audits every write with success or failure', async () => {
      events.length = 0;
      await createArtifact({ processor: 'test', id: 'audited' });
      await request(plugin.server)
        .post('/api/backpack/artifacts')
        .send({ processor: 'test', id: 'audited' });
      await request(plugin.server)
        .patch('/api/backpack/artifacts/test/audited')
        .send({ filter: '1.x' });
      await request(plugin.server).delete('/api/backpack/artifacts/test/audited');
      await request(plugin.server).post('/api/backpack/runs');
      // Reads are not audited.
      await request(plugin.server).get('/api/backpack/artifacts');

      // Each event as [eventId, severityLevel, outcome, meta].
      const summary = events.map(e => [e.options.eventId, e.options.severityLevel, e.outcome, e.options.meta]);
      const artifact = { processor: 'test', id: 'audited' };
      expect(summary).toEqual([
        ['artifact-create', 'medium', 'success', artifact],
        ['artifact-create', 'medium', 'fail', artifact],
        ['artifact-update', 'medium', 'success', artifact],
        ['artifact-delete', 'high', 'success', artifact],
        ['run-create', 'high', 'success', undefined],
      ]);
      expect(events[1].error?.name).toBe('ConflictError');
      expect(events.every(e => e.options.request)).toBe(true);
    });
  });
});
