import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import {
  backpackArtifactConditions,
  backpackArtifactReadPermission,
  backpackFileRetryPermission,
  createBackpackArtifactConditionalDecision,
} from '../permissions';
import { artifactOf, createRouterHarness, RouterHarness } from './__testUtils__/routerHarness';

// The collection routes (retry, stats) alone, on fake services (see routerHarness.ts).

describe('collection routes', () => {
  let harness: RouterHarness;

  beforeEach(async () => {
    harness = await createRouterHarness();
  });

  it('POST /artifacts/:processor/:id/retry requeues through the service and audits the count', async () => {
    harness.services.artifacts.find.mockResolvedValue(artifactOf({ processor: 'test', id: 'troubles' }));
    harness.services.collection.retry.mockResolvedValue(4);
    const res = await request(harness.app).post('/artifacts/test/troubles/retry');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ requeued: 4 });
    expect(harness.services.collection.retry).toHaveBeenCalledWith('test', 'troubles');
    expect(harness.events[0]).toMatchObject({
      options: { eventId: 'file-retry', severityLevel: 'high', meta: { processor: 'test', id: 'troubles' } },
      outcome: 'success',
      meta: { requeued: 4 },
    });

    harness.decisions[backpackFileRetryPermission.name] = { result: AuthorizeResult.DENY };
    expect((await request(harness.app).post('/artifacts/test/troubles/retry')).status).toBe(403);
    expect(harness.events[1]).toMatchObject({ outcome: 'fail' });
    harness.services.artifacts.find.mockResolvedValue(undefined);
    expect((await request(harness.app).post('/artifacts/test/nope/retry')).status).toBe(404);
    expect(harness.services.collection.retry).toHaveBeenCalledTimes(1);
  });

  it('POST /retry retries within what the decisions allow, under the canonical id', async () => {
    harness.services.collection.retryAll.mockResolvedValue(3);
    const all = await request(harness.app).post('/retry').send({ errorKind: 'transient' });
    expect(all.body).toEqual({ requeued: 3 });
    expect(harness.services.collection.retryAll).toHaveBeenLastCalledWith({
      processor: undefined,
      id: undefined,
      errorKind: 'transient',
      filter: undefined,
    });

    harness.decisions[backpackFileRetryPermission.name] = createBackpackArtifactConditionalDecision(
      backpackFileRetryPermission,
      backpackArtifactConditions.hasProcessor({ processors: ['test'] }),
    );
    harness.services.artifacts.find.mockResolvedValue(artifactOf({ processor: 'test', id: 'mine' }));
    await request(harness.app).post('/retry').send({ processor: 'test', id: 'MINE' });
    expect(harness.services.collection.retryAll).toHaveBeenLastCalledWith({
      processor: 'test',
      id: 'mine',
      errorKind: undefined,
      filter: { key: 'processor', values: ['test'] },
    });

    // An unknown artifact has nothing to retry.
    harness.services.artifacts.find.mockResolvedValue(undefined);
    const unknown = await request(harness.app).post('/retry').send({ processor: 'test', id: 'nope' });
    expect(unknown.body).toEqual({ requeued: 0 });
    expect(harness.services.collection.retryAll).toHaveBeenCalledTimes(2);
  });

  it('POST /retry answers 400 for bad bodies and 403 when reading is denied', async () => {
    const orphanId = await request(harness.app).post('/retry').send({ id: 'mine' });
    expect(orphanId.status).toBe(400);
    expect(orphanId.body.error.message).toMatch(/^body: id needs processor/);
    const badKind = await request(harness.app).post('/retry').send({ errorKind: 'sometimes' });
    expect(badKind.status).toBe(400);
    expect(badKind.body.error.message).toMatch(/^errorKind: /);

    harness.decisions[backpackArtifactReadPermission.name] = { result: AuthorizeResult.DENY };
    expect((await request(harness.app).post('/retry').send({})).status).toBe(403);
    expect(harness.services.collection.retryAll).not.toHaveBeenCalled();
  });

  it('GET /stats counts what the caller may read', async () => {
    const stats = { byProcessor: [{ processor: 'test', status: 'collected', files: 3, bytes: 30 }] };
    harness.services.collection.stats.mockResolvedValue(stats as any);
    const res = await request(harness.app).get('/stats');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(stats);
    expect(harness.services.collection.stats).toHaveBeenLastCalledWith({ type: 'all' });

    harness.decisions[backpackArtifactReadPermission.name] = createBackpackArtifactConditionalDecision(
      backpackArtifactReadPermission,
      backpackArtifactConditions.isRoot({ root: true }),
    );
    await request(harness.app).get('/stats');
    expect(harness.services.collection.stats).toHaveBeenLastCalledWith({
      type: 'some',
      filter: { key: 'root', value: true },
    });
  });
});
