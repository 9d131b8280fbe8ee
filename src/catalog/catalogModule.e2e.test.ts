import {
  coreServices,
  createBackendModule,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { EventsService, eventsServiceFactory, eventsServiceRef } from '@backstage/plugin-events-node';
import request from 'supertest';
import { BackpackBackend } from '../__testUtils__/backpackBackend';
import { startTestProcessorBackend } from '../__testUtils__/testProcessor';
import { catalogModuleBackpackEntityProvider, CATALOG_TASK_IDS } from './catalogModule';

// The real catalog backend, Backpack with its in-memory `test` processor,
// and the module in one test backend: artifacts created and deleted through
// Backpack's REST API show up in, and leave, the catalog's own API.

jest.setTimeout(120_000);

const ENTITIES = '/api/catalog/entities/by-query?filter=kind=resource,spec.type=mirrored-package&limit=100';

describe('catalogModuleBackpackEntityProvider', () => {
  let backend: BackpackBackend;
  let scheduler: SchedulerService | undefined;

  // The test backend's scheduler runs tasks only when triggered: the test
  // steps the full and delta mutations itself.
  const catalogScheduler = createBackendModule({
    pluginId: 'catalog',
    moduleId: 'test-scheduler',
    register(env) {
      env.registerInit({
        deps: { scheduler: coreServices.scheduler },
        async init(deps) {
          scheduler = deps.scheduler;
        },
      });
    },
  });

  // Backpack's side of the events service, to publish its change events
  // as Backpack's publisher does.
  let backpackEvents: EventsService | undefined;
  const backpackEventsCapture = createBackendModule({
    pluginId: 'backpack',
    moduleId: 'test-events',
    register(env) {
      env.registerInit({
        deps: { events: eventsServiceRef },
        async init(deps) {
          backpackEvents = deps.events;
        },
      });
    },
  });

  beforeAll(async () => {
    backend = await startTestProcessorBackend(
      [
        catalogPlugin,
        catalogModuleBackpackEntityProvider,
        catalogScheduler,
        backpackEventsCapture,
        // The real events service: one in-process bus for all plugins (the
        // test backend's mock gives each plugin a bus of its own).
        eventsServiceFactory,
      ],
      // One artifact per page, so that reading the roots takes several pages.
      { catalog: { pageSize: 1 } },
    );
  });
  afterAll(async () => {
    await backend?.stop();
  });

  const entities = async () => {
    const res = await request(backend.server).get(ENTITIES);
    expect(res.status).toBe(200);
    return res.body.items as any[];
  };
  const waitForEntities = async (done: (items: any[]) => boolean) =>
    (await backend.poll<{ items: any[] }>(ENTITIES, body => done(body.items), { attempts: 600, intervalMs: 100 })).items;
  const trigger = (id: string) => scheduler!.triggerTask(id);
  const create = async (body: object) => {
    const res = await request(backend.server).post('/api/backpack/artifacts').send(body);
    expect(res.status).toBe(201);
    return res.body;
  };

  it('provides root artifacts as entities, and follows creates, updates and deletes', async () => {
    await create({ processor: 'test', id: 'app', filter: '^1.0.0' });
    await create({ processor: 'test', id: '@scope/pkg' });
    await trigger(CATALOG_TASK_IDS.full);

    const found = await waitForEntities(items => items.length === 2);
    const byTitle = Object.fromEntries(found.map(e => [e.metadata.title, e]));
    // `lib` is in app's closure but is no root: no entity.
    expect(Object.keys(byTitle).sort()).toEqual(['@scope/pkg', 'app']);

    const app = byTitle.app;
    expect(app.kind).toBe('Resource');
    expect(app.metadata.name).toBe('test-app');
    expect(app.spec).toMatchObject({ type: 'mirrored-package', owner: 'group:default/platform' });
    expect(app.metadata.annotations).toMatchObject({
      'backpack.io/processor': 'test',
      'backpack.io/id': 'app',
      'backpack.io/filter': '^1.0.0',
      'backstage.io/managed-by-location': `url:${backend.baseUrl}/artifacts/test/app`,
      'backstage.io/managed-by-origin-location': `url:${backend.baseUrl}/artifacts/test/app`,
    });
    expect(['pending', 'ok', 'error']).toContain(app.metadata.annotations['backpack.io/status']);
    // The test processor has no registry view: only the API link.
    expect(app.metadata.links).toEqual([
      { url: `${backend.baseUrl}/artifacts/test/app`, title: 'Backpack API (artifact)', type: 'backpack-api' },
    ]);
    const scoped = byTitle['@scope/pkg'];
    expect(scoped.metadata.name).toMatch(/^test-scope-pkg-[0-9a-f]{10}$/);
    expect(scoped.metadata.annotations['backpack.io/id']).toBe('@scope/pkg');
    expect(scoped.metadata.annotations['backpack.io/filter']).toBeUndefined();
    // The link goes to the artifact's REST resource, which answers it.
    const api = new URL(scoped.metadata.links[0].url);
    expect((await request(backend.server).get(api.pathname)).body).toMatchObject({ id: '@scope/pkg' });

    // A new root, a changed filter, a deleted root: one delta mutation.
    await create({ processor: 'test', id: 'shared' });
    const patch = await request(backend.server)
      .patch('/api/backpack/artifacts/test/app')
      .send({ filter: '^2.0.0' });
    expect(patch.status).toBe(200);
    const del = await request(backend.server).delete(`/api/backpack/artifacts/test/${encodeURIComponent('@scope/pkg')}`);
    expect(del.status).toBe(204);
    await trigger(CATALOG_TASK_IDS.delta);

    const after = await waitForEntities(
      items =>
        items.length === 2 &&
        items.some(e => e.metadata.title === 'shared') &&
        items.some(e => e.metadata.annotations['backpack.io/filter'] === '^2.0.0'),
    );
    expect(after.map(e => e.metadata.name).sort()).toEqual(['test-app', 'test-shared']);

    // The full mutation agrees with the deltas, and removes what is gone.
    await request(backend.server).delete('/api/backpack/artifacts/test/shared').expect(204);
    await trigger(CATALOG_TASK_IDS.full);
    const last = await waitForEntities(items => items.length === 1);
    expect(last[0].metadata.name).toBe('test-app');
    expect(await entities()).toHaveLength(1);
  });

  it('follows Backpack change events without waiting for the next delta', async () => {
    const artifact = (id: string) => ({ processor: 'test', id, link: `${backend.baseUrl}/artifacts/test/${id}` });
    await create({ processor: 'test', id: 'uses-shared' });
    // No scheduled task runs here: only the event can bring the entity.
    await backpackEvents!.publish({
      topic: 'backpack.artifact.created',
      eventPayload: { artifact: { ...artifact('uses-shared'), root: true }, occurredAt: new Date().toISOString() },
    });
    await waitForEntities(items => items.some(e => e.metadata.name === 'test-uses-shared'));

    await request(backend.server).delete('/api/backpack/artifacts/test/uses-shared').expect(204);
    await backpackEvents!.publish({
      topic: 'backpack.artifact.deleted',
      eventPayload: { artifact: artifact('uses-shared'), occurredAt: new Date().toISOString() },
    });
    const after = await waitForEntities(items => !items.some(e => e.metadata.name === 'test-uses-shared'));
    expect(after.map(e => e.metadata.name)).toEqual(['test-app']);
  });
});
