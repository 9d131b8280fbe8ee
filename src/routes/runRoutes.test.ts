import { NotFoundError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import {
  backpackArtifactConditions,
  backpackArtifactReadPermission,
  createBackpackArtifactConditionalDecision,
} from '../permissions';
import { artifactOf, createRouterHarness, RouterHarness, runOf } from './__testUtils__/routerHarness';

// The /runs routes alone, on fake services (see routerHarness.ts).

const RUN_ID = '5f0c3a64-7b7e-4c59-9a43-1d5c2f2f8b11';

describe('run routes', () => {
  let harness: RouterHarness;

  beforeEach(async () => {
    harness = await createRouterHarness();
    harness.services.runs.startRun.mockResolvedValue(runOf());
  });

  it('POST /runs starts a full run and audits it', async () => {
    const res = await request(harness.app).post('/runs');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: RUN_ID, status: 'queued' });
    expect(harness.services.runs.startRun).toHaveBeenCalledWith({
      trigger: 'manual',
      scope: undefined,
      requestedBy: 'user:default/mock',
    });
    expect(harness.events[0]).toMatchObject({
      options: { eventId: 'run-create', severityLevel: 'high' },
      outcome: 'success',
      meta: { runId: RUN_ID },
    });
  });

  it('POST /runs scopes a run to a root under its canonical id', async () => {
    const artifact = artifactOf({ processor: 'test', id: 'run-target' });
    harness.services.artifacts.find.mockResolvedValue(artifact);
    harness.services.artifacts.get.mockResolvedValue(artifact);
    const res = await request(harness.app).post('/runs').send({ processor: 'test', id: 'Run-Target' });
    expect(res.status).toBe(202);
    expect(harness.services.artifacts.get).toHaveBeenCalledWith('test', 'Run-Target');
    expect(harness.services.runs.startRun).toHaveBeenCalledWith(
      expect.objectContaining({ scope: { processor: 'test', id: 'run-target' } }),
    );
    expect(harness.events[0].meta).toEqual({ runId: RUN_ID, scope: { processor: 'test', id: 'run-target' } });
  });

  it('POST /runs refuses a dependency, half a scope and a denied permission', async () => {
    const dependency = artifactOf({ processor: 'test', id: 'lib', root: false });
    harness.services.artifacts.find.mockResolvedValue(dependency);
    harness.services.artifacts.get.mockResolvedValue(dependency);
    const scoped = await request(harness.app).post('/runs').send({ processor: 'test', id: 'lib' });
    expect(scoped.status).toBe(400);
    expect(scoped.body.error.message).toMatch(/is a dependency, not a root/);

    const half = await request(harness.app).post('/runs').send({ processor: 'test' });
    expect(half.status).toBe(400);
    expect(half.body.error.message).toMatch(/^body: processor and id go together/);

    harness.decisions['backpack.run.create'] = { result: AuthorizeResult.DENY };
    expect((await request(harness.app).post('/runs')).status).toBe(403);
    expect(harness.services.runs.startRun).not.toHaveBeenCalled();
    expect(harness.events.map(e => e.outcome)).toEqual(['fail', 'fail', 'fail']);
  });

  it('POST /runs answers 404 for a scope the caller may not read', async () => {
    harness.decisions[backpackArtifactReadPermission.name] = createBackpackArtifactConditionalDecision(
      backpackArtifactReadPermission,
      backpackArtifactConditions.hasProcessor({ processors: ['npm'] }),
    );
    harness.services.artifacts.find.mockResolvedValue(artifactOf({ processor: 'test', id: 'app' }));
    const res = await request(harness.app).post('/runs').send({ processor: 'test', id: 'app' });
    expect(res.status).toBe(404);
    expect(harness.services.runs.startRun).not.toHaveBeenCalled();
  });

  it('GET /runs pages with what the caller may see', async () => {
    harness.services.runs.listRuns.mockResolvedValue({ items: [runOf()], total: 7 });
    const res = await request(harness.app).get('/runs?status=partial&limit=1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 7, limit: 1, offset: 0 });
    expect(harness.services.runs.listRuns).toHaveBeenCalledWith({
      status: 'partial',
      limit: 1,
      offset: 0,
      visible: { fullRuns: true, scoped: { type: 'all' } },
    });

    harness.decisions['backpack.run.read'] = { result: AuthorizeResult.DENY };
    await request(harness.app).get('/runs');
    expect(harness.services.runs.listRuns).toHaveBeenLastCalledWith(
      expect.objectContaining({ visible: { fullRuns: false, scoped: { type: 'all' } } }),
    );
    const bad = await request(harness.app).get('/runs?status=done');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^status: /);
  });

  it('GET /runs/:id reads a run by its lower-case id, and answers 404 for an id that is no UUID', async () => {
    harness.services.runs.getRun.mockResolvedValue(runOf());
    const res = await request(harness.app).get(`/runs/${RUN_ID.toUpperCase()}`);
    expect(res.status).toBe(200);
    expect(harness.services.runs.getRun).toHaveBeenCalledWith(RUN_ID, {
      fullRuns: true,
      scoped: { type: 'all' },
    });

    const notUuid = await request(harness.app).get('/runs/latest');
    expect(notUuid.status).toBe(404);
    expect(harness.services.runs.getRun).toHaveBeenCalledTimes(1);

    harness.services.runs.getRun.mockRejectedValue(new NotFoundError('No mirror run'));
    expect((await request(harness.app).get(`/runs/${RUN_ID}`)).status).toBe(404);
  });
});
