import { TestDatabases } from '@backstage/backend-test-utils';
import { PolicyDecision } from '@backstage/plugin-permission-common';
import fs from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { backpackArtifactReadPermission } from '../permissions';
import { AccessBackend, startAccessBackend } from '../__testUtils__/accessBackend';
import { AuditRecord, collectingAuditor } from '../__testUtils__/collectingAuditor';
import { ALLOW, DENY, permissionsWithPolicy, rootsOnly } from '../__testUtils__/permissionPolicy';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('export routes on %p', databaseId => {
  describe('with builds that finish', () => {
    let backend: AccessBackend;
    let decisions: Record<string, PolicyDecision> = {};
    const events: AuditRecord[] = [];

    beforeAll(async () => {
      backend = await startAccessBackend({
        knex: await databases.init(databaseId),
        features: [permissionsWithPolicy(name => decisions[name] ?? ALLOW), collectingAuditor(events)],
        backpack: { exports: { settleSeconds: 0 } },
      });
      await backend.addRoot({ processor: 'test', id: 'app' });
      await backend.waitForCollection();
    });

    afterAll(async () => {
      await backend.stop();
    });

    it('answers ten concurrent identical requests with one export', async () => {
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => request(backend.server).post('/api/backpack/exports').send({})),
      );
      expect(answers.map(a => a.status)).toEqual(Array(10).fill(202));
      const ids = new Set(answers.map(a => a.body.id));
      expect(ids.size).toBe(1);
      const [id] = ids;
      await backend.poll(`/api/backpack/exports/${id}`, e => e.status === 'succeeded');
      expect((await request(backend.server).get('/api/backpack/exports')).body.total).toBe(1);
      // Once it finished, asking again builds anew.
      const again = await request(backend.server).post('/api/backpack/exports').send({});
      expect(again.body.id).not.toBe(id);
      await backend.poll(`/api/backpack/exports/${again.body.id}`, e => e.status === 'succeeded');
    });

    it('deletes an export with its parts and manifest, by its own audited permission', async () => {
      const created = await request(backend.server).post('/api/backpack/exports').send({ processors: ['test'] });
      const id = created.body.id;
      await backend.poll(`/api/backpack/exports/${id}`, e => e.status === 'succeeded');
      const objects = path.join(backend.storage, 'exports', id);
      expect((await fs.readdir(objects)).sort()).toEqual(['manifest.json', 'part-00001.tar']);

      // Hidden from the caller: missing, before the permission is asked.
      decisions = {
        [backpackArtifactReadPermission.name]: rootsOnly(backpackArtifactReadPermission),
      };
      expect((await request(backend.server).delete(`/api/backpack/exports/${id}`)).status).toBe(404);
      decisions = { 'backpack.export.delete': DENY };
      events.length = 0;
      const refused = await request(backend.server).delete(`/api/backpack/exports/${id}`);
      expect(refused.status).toBe(403);
      decisions = {};
      const deleted = await request(backend.server).delete(`/api/backpack/exports/${id}`);
      expect(deleted.status).toBe(204);

      expect((await request(backend.server).get(`/api/backpack/exports/${id}`)).status).toBe(404);
      await expect(fs.readdir(objects)).resolves.toEqual([]);
      expect((await request(backend.server).delete(`/api/backpack/exports/${id}`)).status).toBe(404);
      expect(
        events.map(e => [e.options.eventId, e.options.severityLevel, e.outcome, e.error?.name ?? null]),
      ).toEqual([
        ['export-delete', 'high', 'fail', 'NotAllowedError'],
        ['export-delete', 'high', 'success', null],
        ['export-delete', 'high', 'fail', 'NotFoundError'],
      ]);
    });
  });

  describe('with builds that take long', () => {
    let backend: AccessBackend;

    beforeAll(async () => {
      backend = await startAccessBackend({
        knex: await databases.init(databaseId),
        // The first build waits an hour before it reads: it holds the only
        // build slot until the backend stops, which aborts it.
        backpack: { exports: { settleSeconds: 3600, maxConcurrentBuilds: 1 } },
      });
    });

    afterAll(async () => {
      await backend.stop();
    });

    it('builds one export at a time per replica and refuses to delete one that is queued or building', async () => {
      const first = await request(backend.server).post('/api/backpack/exports').send({});
      await backend.poll(`/api/backpack/exports/${first.body.id}`, e => e.status === 'running');
      const second = await request(backend.server).post('/api/backpack/exports').send({ processors: ['test'] });
      expect(second.body.id).not.toBe(first.body.id);
      // The slot is taken until the first build ends, so the second cannot start.
      expect((await request(backend.server).get(`/api/backpack/exports/${second.body.id}`)).body.status).toBe(
        'queued',
      );
      for (const id of [first.body.id, second.body.id]) {
        const res = await request(backend.server).delete(`/api/backpack/exports/${id}`);
        expect([res.status, res.body.error.name]).toEqual([409, 'ConflictError']);
      }
    });
  });
});
