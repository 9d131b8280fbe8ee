import { EventParams } from '@backstage/plugin-events-node';
import { mockServices } from '@backstage/backend-test-utils';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { z } from 'zod';
import { BackpackBackend, startBackpackBackend } from '../__testUtils__/backpackBackend';
import { inMemoryProcessor } from '../__testUtils__/inMemoryProcessor';
import { waitFor } from '../__testUtils__/waitFor';
import { eventsFactory, subscriberPlugin } from './__testUtils__/eventsBackend';
import { BACKPACK_EVENT_TOPICS } from './topics';

// File outcomes of a run as a subscriber gets them with a small batch size:
// several events per run, none over the size, every file once, the parked
// one with its reason and without the secret of its URL, all before the
// run's end.

const SECRET = 's3cret-download-token';
const content = (id: string, version: string) => `${id}@${version}\n`;

describe('file events in batches', () => {
  const received: EventParams[] = [];
  let backend: BackpackBackend;
  let files: http.Server;

  beforeAll(async () => {
    files = http.createServer((req, res) => {
      const match = /^\/files\/([^/?]+)\/([^/?]+)/.exec(req.url ?? '');
      if (!match || match[1] === 'gone') {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.end(content(match[1], match[2]));
    });
    await new Promise<void>(resolve => files.listen(0, '127.0.0.1', resolve));
    const fileServer = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    const processor = inMemoryProcessor({
      name: 'batchy',
      description: 'Five versions and a dependency whose file is gone',
      configSchema: z.strictObject({}),
      packages: {
        many: Object.fromEntries(['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0'].map(v => [v, { gone: '^1.0.0' }])),
        gone: { '1.0.0': {} },
      },
      file: (id, version) => ({
        uri: `${fileServer}/files/${id}/${version}?token=${SECRET}`,
        content: content(id, version),
      }),
    });
    backend = await startBackpackBackend({
      processors: [processor],
      backpack: {
        allowedHosts: [new URL(fileServer).host],
        events: { files: { batchSize: 2, flushSeconds: 60 } },
      },
      features: [eventsFactory, subscriberPlugin(received), mockServices.scheduler.factory({ skipTaskRunOnStartup: true })],
    });
  });
  afterAll(async () => {
    await backend?.stop();
    await new Promise(resolve => files?.close(resolve));
  });

  it('publishes a run of six files in batches of at most two, before the run finished', async () => {
    const created = await request(backend.server).post('/api/backpack/artifacts').send({ processor: 'batchy', id: 'many' });
    expect(created.status).toBe(201);
    const finished = await waitFor('the run to finish', () => {
      const event = received.find(e => e.topic === BACKPACK_EVENT_TOPICS.runFinished);
      return event?.eventPayload as any;
    });
    expect(finished.run).toMatchObject({ status: 'partial', counters: { filesCollected: 5, filesParked: 1 } });

    const end = received.findIndex(e => e.topic === BACKPACK_EVENT_TOPICS.runFinished);
    const fileEvents = received
      .map((e, index) => ({ ...(e.eventPayload as any), topic: e.topic, index }))
      .filter(e => e.topic.startsWith('backpack.file.'));
    expect(fileEvents.every(e => e.index < end && e.runId === finished.run.id)).toBe(true);
    expect(fileEvents.every(e => e.files.length >= 1 && e.files.length <= 2)).toBe(true);
    // Six outcomes in batches of two: three batches, each one or two events (one per outcome).
    expect(fileEvents.length).toBeGreaterThanOrEqual(3);
    expect(fileEvents.length).toBeLessThanOrEqual(4);

    const of = (outcome: string) =>
      fileEvents.filter(e => e.outcome === outcome).flatMap(e => e.files.map((f: any) => `${f.id}@${f.version}`));
    expect(of('collected').sort()).toEqual(['many@1.0.0', 'many@1.1.0', 'many@1.2.0', 'many@1.3.0', 'many@1.4.0']);
    expect(of('parked')).toEqual(['gone@1.0.0']);
    const parked = fileEvents.find(e => e.outcome === 'parked').files[0];
    expect(parked).toMatchObject({ errorKind: 'permanent', error: expect.stringContaining('404') });
    expect(JSON.stringify(received)).not.toContain(SECRET);
  });
});
