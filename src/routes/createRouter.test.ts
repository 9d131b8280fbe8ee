import { mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';
import { createRouterHarness, RouterHarness } from './__testUtils__/routerHarness';

// The router's own routes (health, processors) and what every route shares,
// on fake services (see routerHarness.ts).

describe('createRouter', () => {
  let harness: RouterHarness;

  beforeEach(async () => {
    harness = await createRouterHarness();
  });

  it('answers /health', async () => {
    const res = await request(harness.app).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('lists processors with their range language and config schema, to callers with credentials', async () => {
    const res = await request(harness.app).get('/processors');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      {
        name: 'test',
        description: 'A processor the router lists',
        rangeLanguage: 'semver',
        configSchema: expect.objectContaining({
          type: 'object',
          additionalProperties: false,
          properties: { registry: expect.objectContaining({ type: 'string', format: 'uri' }) },
        }),
      },
    ]);
    const anonymous = await request(harness.app)
      .get('/processors')
      .set('Authorization', mockCredentials.none.header());
    expect(anonymous.status).toBe(401);
  });

  it('answers 400 for a body that is not JSON, before any service', async () => {
    const res = await request(harness.app)
      .post('/artifacts')
      .set('Content-Type', 'application/json')
      .send('{"processor": ');
    expect(res.status).toBe(400);
    expect(harness.services.artifacts.create).not.toHaveBeenCalled();
  });
});
