import {
  coreServices,
  createBackendModule,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { JsonObject } from '@backstage/types';
import request from 'supertest';
import { eventsFactory } from '../events/__testUtils__/eventsBackend';
import { BackpackBackend } from '../__testUtils__/backpackBackend';
import { startTestProcessorBackend } from '../__testUtils__/testProcessor';
import { catalogModuleBackpackEntityProvider, CATALOG_TASK_IDS } from './catalogModule';

// The real catalog backend, Backpack with its in-memory `test` processor and
// its change events, and the module in one test backend: artifacts created,
// changed and deleted through Backpack's REST API show up in, change in and
// leave the catalog's own API.

jest.setTimeout(120_000);

const ENTITIES = '/api/catalog/entities/by-query?filter=kind=resource,spec.type=mirrored-package&limit=100';

/** Backpack, the catalog and the module; the test steps the scheduled tasks itself. */
function withCatalogBackend(catalog: JsonObject) {
  const state: { backend?: BackpackBackend; scheduler?: SchedulerService } = {};
  // The test backend's scheduler runs tasks only when triggered.
  const catalogScheduler = createBackendModule({
    pluginId: 'catalog',
    moduleId: 'test-scheduler',
    register(env) {
      env.registerInit({
        deps: { scheduler: coreServices.scheduler },
        async init(deps) {
          state.scheduler = deps.scheduler;
        },
      });
    },
  });
  beforeAll(async () => {
    state.backend = await startTestProcessorBackend(
      // One in-process events bus for all plugins, as in a real backend.
      [catalogPlugin, catalogModuleBackpackEntityProvider, catalogScheduler, eventsFactory],
      { catalog },
    );
  });
  afterAll(async () => {
    await state.backend?.stop();
  });

  const backend = () => state.backend!;
  return {
    backend,
    trigger: (id: string) => state.scheduler!.triggerTask(id),
    async waitForEntities(done: (items: any[]) => boolean): Promise<any[]> {
      const body = await backend().poll<{ items: any[] }>(ENTITIES, b => done(b.items), {
        attempts: 600,
        intervalMs: 100,
      });
      return body.items;
    },
    async create(body: object) {
      const res = await request(backend().server).post('/api/backpack/artifacts').send(body);
      expect(res.status).toBe(201);
      return res.body;
    },
  };
}

describe('catalogModuleBackpackEntityProvider, on its schedules', () => {
  // Events off: only the full and delta tasks the test triggers change entities.
  // One artifact per page, so that reading the roots takes several pages.
  const t = withCatalogBackend({ events: false, pageSize: 1 });

  it('provides root artifacts as entities, and follows creates, updates and deletes', async () => {
    const { server, baseUrl } = t.backend();
    await t.create({ processor: 'test', id: 'app', filter: '^1.0.0' });
    await t.create({ processor: 'test', id: '@scope/pkg' });
    await t.trigger(CATALOG_TASK_IDS.full);

    const found = await t.waitForEntities(items => items.length === 2);
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
      'backstage.io/managed-by-location': `url:${baseUrl}/artifacts/test/app`,
      'backstage.io/managed-by-origin-location': `url:${baseUrl}/artifacts/test/app`,
    });
    expect(['pending', 'ok', 'error']).toContain(app.metadata.annotations['backpack.io/status']);
    // The test processor has no registry view: only the API link.
    expect(app.metadata.links).toEqual([
      { url: `${baseUrl}/artifacts/test/app`, title: 'Backpack API (artifact)', type: 'backpack-api' },
    ]);
    const scoped = byTitle['@scope/pkg'];
    expect(scoped.metadata.name).toMatch(/^test-scope-pkg-[0-9a-f]{10}$/);
    expect(scoped.metadata.annotations['backpack.io/id']).toBe('@scope/pkg');
    expect(scoped.metadata.annotations['backpack.io/filter']).toBeUndefined();
    // The link goes to the artifact's REST resource, which answers it.
    const api = new URL(scoped.metadata.links[0].url);
    expect((await request(server).get(api.pathname)).body).toMatchObject({ id: '@scope/pkg' });

    // A new root, a changed filter, a deleted root: one delta mutation.
    await t.create({ processor: 'test', id: 'shared' });
    await request(server).patch('/api/backpack/artifacts/test/app').send({ filter: '^2.0.0' }).expect(200);
    await request(server).delete(`/api/backpack/artifacts/test/${encodeURIComponent('@scope/pkg')}`).expect(204);
    await t.trigger(CATALOG_TASK_IDS.delta);

    const after = await t.waitForEntities(
      items =>
        items.length === 2 &&
        items.some(e => e.metadata.title === 'shared') &&
        items.some(e => e.metadata.annotations['backpack.io/filter'] === '^2.0.0'),
    );
    expect(after.map(e => e.metadata.name).sort()).toEqual(['test-app', 'test-shared']);

    // The full mutation agrees with the deltas, and removes what is gone.
    await request(server).delete('/api/backpack/artifacts/test/shared').expect(204);
    await t.trigger(CATALOG_TASK_IDS.full);
    const last = await t.waitForEntities(items => items.length === 1);
    expect(last[0].metadata.name).toBe('test-app');
  });
});

describe('catalogModuleBackpackEntityProvider, on change events', () => {
  const t = withCatalogBackend({});

  it("follows Backpack's own change events, with no scheduled task run", async () => {
    const { server } = t.backend();
    const { runId } = await t.create({ processor: 'test', id: 'uses-shared' });
    await t.waitForEntities(items => items.some(e => e.metadata.name === 'test-uses-shared'));

    // The run's end changes the status annotation.
    const run = await t.backend().waitForRun(runId);
    expect(run.status).toBe('succeeded');
    await t.waitForEntities(items =>
      items.some(e => e.metadata.name === 'test-uses-shared' && e.metadata.annotations['backpack.io/status'] === 'ok'),
    );

    await request(server).patch('/api/backpack/artifacts/test/uses-shared').send({ filter: '1.0.0' }).expect(200);
    await t.waitForEntities(items =>
      items.some(e => e.metadata.name === 'test-uses-shared' && e.metadata.annotations['backpack.io/filter'] === '1.0.0'),
    );

    await request(server).delete('/api/backpack/artifacts/test/uses-shared').expect(204);
    const after = await t.waitForEntities(items => !items.some(e => e.metadata.name === 'test-uses-shared'));
    expect(after).toEqual([]);
  });
});
