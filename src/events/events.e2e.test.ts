import { createBackendModule } from '@backstage/backend-plugin-api';
import { EventParams } from '@backstage/plugin-events-node';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { z } from 'zod';
import request from 'supertest';
import { reviewCheckModule } from '../__testUtils__/admissionCheckModule';
import { BackpackBackend } from '../__testUtils__/backpackBackend';
import { startTestProcessorBackend } from '../__testUtils__/testProcessor';
import { waitFor } from '../__testUtils__/waitFor';
import { backpackProcessorsExtensionPoint } from '../extensions';
import { backpackPlugin } from '../plugin';
import { semverScheme } from '../processors/npm/semverScheme';
import { backpackUrlReaderFactories } from '../upstream/upstreamGateService';
import { eventsFactory, subscriberPlugin } from './__testUtils__/eventsBackend';
import { BACKPACK_EVENT_TOPICS } from './topics';

// Backpack's change events as another plugin receives them: Backstage's
// own events service (one in-process bus shared by the plugins, as
// createBackend sets it up, without the events backend's HTTP bus) and a
// subscriber plugin, through a create → run → collect → export → delete.

/** An admission check: `shared` is denied, `uses-shared` waits for a person. */
const reviewModule = reviewCheckModule(async ({ id }) => {
  if (id === 'shared') return { decision: 'deny', reason: 'flagged by the scanner' };
  if (id === 'uses-shared') return { decision: 'pending-approval', reason: 'new packages are reviewed' };
  return { decision: 'allow' };
});

describe('Backpack change events', () => {
  const received: EventParams[] = [];
  let backend: BackpackBackend;

  beforeAll(async () => {
    backend = await startTestProcessorBackend([
      eventsFactory,
      subscriberPlugin(received),
      reviewModule,
      // No scheduled run at startup: the runs are the test's.
      mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
    ]);
  });
  afterAll(async () => {
    await backend?.stop();
  });

  const topics = () => received.map(e => e.topic);
  const payloads = (topic: string) => received.filter(e => e.topic === topic).map(e => e.eventPayload as any);
  const waitForTopic = (topic: string, count = 1) =>
    waitFor(`${count} ${topic} events`, () => payloads(topic).length >= count && payloads(topic));

  it('tells a subscriber of create, run, selection, collection, export and delete, in order', async () => {
    const { server, baseUrl } = backend;
    const secret = 'hunter2-registry-password';
    const created = await request(server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'test', id: 'app', config: { registry: `https://mirror:${secret}@registry.example/` } });
    expect(created.status).toBe(201);
    const [createdEvent] = await waitForTopic(BACKPACK_EVENT_TOPICS.artifactCreated);
    expect(createdEvent).toMatchObject({
      artifact: { processor: 'test', id: 'app', root: true, link: `${baseUrl}/artifacts/test/app` },
      promoted: false,
    });

    // Adding a root starts a run scoped to it.
    const [started] = await waitForTopic(BACKPACK_EVENT_TOPICS.runStarted);
    expect(started.run).toMatchObject({ trigger: 'artifact', scope: { processor: 'test', id: 'app' }, status: 'running' });
    const runId = started.run.id;
    const [finished] = await waitForTopic(BACKPACK_EVENT_TOPICS.runFinished);
    expect(finished.run).toMatchObject({
      id: runId,
      status: 'succeeded',
      link: `${baseUrl}/runs/${runId}`,
      counters: { filesQueued: 4, filesCollected: 4 },
    });

    // app 1.0.0 and 2.0.0, and the latest lib of each range.
    const selected = payloads(BACKPACK_EVENT_TOPICS.versionSelected);
    const selectedIds = selected.flatMap(p => p.versions.map((v: any) => `${p.artifact.id}@${v.version}`));
    expect(selectedIds.sort()).toEqual(['app@1.0.0', 'app@2.0.0', 'lib@1.1.0', 'lib@2.0.0']);
    for (const p of selected) {
      expect(p).toMatchObject({ runId, decision: 'selected', versionsLink: `${p.artifact.link}/versions` });
    }
    const lib = selected.find(p => p.artifact.id === 'lib');
    expect(lib.versions.find((v: any) => v.version === '2.0.0').selection).toEqual([
      { type: 'required-by', processor: 'test', id: 'app', version: '2.0.0', range: '^2.0.0' },
    ]);

    // Four files, batched: one event (the batch of the run, flushed at its end at the latest).
    const collected = payloads(BACKPACK_EVENT_TOPICS.fileCollected);
    const files = collected.flatMap(p => p.files);
    expect(collected.length).toBeLessThan(files.length);
    expect(collected.every(p => p.runId === runId && p.runLink === `${baseUrl}/runs/${runId}`)).toBe(true);
    expect(files.map((f: any) => `${f.id}@${f.version}`).sort()).toEqual(selectedIds.sort());
    expect(files[0]).toMatchObject({
      processor: 'test',
      integrity: { algorithm: 'sha256', digest: expect.stringMatching(/^[0-9a-f]{64}$/) },
      link: `${baseUrl}/artifacts/test/${files[0].id}/versions/${files[0].version}/files`,
    });

    // A full run selects nothing new and tells of no versions again.
    const again = await request(server).post('/api/backpack/runs').send({});
    expect(again.status).toBe(202);
    const [, full] = await waitForTopic(BACKPACK_EVENT_TOPICS.runFinished, 2);
    expect(full.run).toMatchObject({ id: again.body.id, trigger: 'manual', status: 'succeeded' });
    expect(payloads(BACKPACK_EVENT_TOPICS.versionSelected)).toHaveLength(selected.length);
    expect(payloads(BACKPACK_EVENT_TOPICS.runStarted).map(p => p.run.id)).toEqual([runId, again.body.id]);

    const exported = await request(server).post('/api/backpack/exports').send({});
    expect(exported.status).toBe(202);
    const [sealed] = await waitForTopic(BACKPACK_EVENT_TOPICS.exportSealed);
    expect(sealed.export).toMatchObject({
      id: exported.body.id,
      kind: 'full',
      link: `${baseUrl}/exports/${exported.body.id}`,
      manifestLink: `${baseUrl}/exports/${exported.body.id}/manifest`,
      seal: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(sealed.export.files).toBeGreaterThanOrEqual(4);

    const patched = await request(server).patch('/api/backpack/artifacts/test/app').send({ filter: '^2.0.0' });
    expect(patched.status).toBe(200);
    const [updated] = await waitForTopic(BACKPACK_EVENT_TOPICS.artifactUpdated);
    expect(updated).toMatchObject({ artifact: { id: 'app', filter: '^2.0.0' }, changed: ['filter', 'filterType'] });

    const deleted = await request(server).delete('/api/backpack/artifacts/test/app');
    expect(deleted.status).toBe(204);
    const [deletedEvent] = await waitForTopic(BACKPACK_EVENT_TOPICS.artifactDeleted);
    expect(deletedEvent.artifact).toEqual({ processor: 'test', id: 'app', link: `${baseUrl}/artifacts/test/app` });

    // The sequence, with repeats of a topic folded.
    const sequence = topics().filter((t, i, all) => i === 0 || all[i - 1] !== t);
    expect(sequence).toEqual([
      'backpack.artifact.created',
      'backpack.run.started',
      'backpack.version.selected',
      'backpack.file.collected',
      'backpack.run.finished',
      'backpack.run.started',
      'backpack.run.finished',
      'backpack.export.sealed',
      'backpack.artifact.updated',
      'backpack.artifact.deleted',
    ]);
    // Never the artifact's config or anything of its credentials.
    const all = JSON.stringify(received);
    expect(all).not.toContain(secret);
    expect(all).not.toContain('registry.example');
  });

  it('tells of versions admission denies and of a person approving one', async () => {
    const { server, baseUrl } = backend;
    const created = await request(server).post('/api/backpack/artifacts').send({ processor: 'test', id: 'uses-shared' });
    expect(created.status).toBe(201);
    const [denied] = await waitForTopic(BACKPACK_EVENT_TOPICS.versionDenied);
    expect(denied).toMatchObject({
      artifact: { processor: 'test', id: 'shared', link: `${baseUrl}/artifacts/test/shared` },
      decision: 'denied',
      versions: [{ version: '1.0.0', reason: expect.stringContaining('flagged by the scanner') }],
    });
    expect(denied.runId).toEqual(expect.any(String));

    const approved = await request(server).post('/api/backpack/artifacts/test/uses-shared/versions/1.0.0/approve').send({});
    expect(approved.status).toBe(200);
    const [approval] = await waitForTopic(BACKPACK_EVENT_TOPICS.versionApproved);
    expect(approval).toMatchObject({
      artifact: { processor: 'test', id: 'uses-shared' },
      decision: 'approved',
      decidedBy: 'user:default/mock',
      versions: [{ version: '1.0.0' }],
      versionsLink: `${baseUrl}/artifacts/test/uses-shared/versions`,
    });
  });
});

describe('Backpack without the events module', () => {
  it('works as before and publishes nothing', async () => {
    const received: EventParams[] = [];
    const processorModule = createBackendModule({
      pluginId: 'backpack',
      moduleId: 'empty-processor',
      register(env) {
        env.registerInit({
          deps: { processors: backpackProcessorsExtensionPoint },
          async init({ processors }) {
            processors.addProcessor({
              name: 'empty',
              description: 'No versions',
              configSchema: z.strictObject({}),
              versions: semverScheme,
              async discover() {
                return { notModified: false, versions: [] };
              },
            });
          },
        });
      },
    });
    const backend = await startTestBackend({
      features: [
        backpackPlugin,
        backpackUrlReaderFactories,
        processorModule,
        eventsFactory,
        subscriberPlugin(received),
        mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
      ],
    });
    try {
      const created = await request(backend.server).post('/api/backpack/artifacts').send({ processor: 'empty', id: 'x' });
      expect(created.status).toBe(201);
      const run = await request(backend.server).post('/api/backpack/runs').send({});
      expect(run.status).toBe(202);
      await waitFor('the run to settle', async () => {
        const res = await request(backend.server).get(`/api/backpack/runs/${run.body.id}`);
        return ['succeeded', 'partial', 'failed'].includes(res.body.status);
      });
      const deleted = await request(backend.server).delete('/api/backpack/artifacts/empty/x');
      expect(deleted.status).toBe(204);
      expect(received).toEqual([]);
    } finally {
      await backend.stop();
    }
  });
});
