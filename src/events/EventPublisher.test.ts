import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { DefaultEventsService, EventParams, EventsService } from '@backstage/plugin-events-node';
import { StoredFile } from '../database/FileStore';
import { MirrorRun } from '../types';
import { noopBackpackEvents } from './BackpackEvents';
import { createBackpackEvents } from './createBackpackEvents';
import { EventPublisher } from './EventPublisher';
import { readEventSettings } from './eventSettings';
import { BACKPACK_EVENT_TOPICS as TOPICS } from './topics';

const BASE = 'https://backstage.example.com/api/backpack';

function file(name: string, overrides: Partial<StoredFile> = {}): StoredFile {
  return {
    ref: 1,
    versionRef: 1,
    artifactRef: 1,
    processor: 'npm',
    artifactId: '@scope/pkg',
    version: '1.0.0',
    name,
    uri: `https://user:token@registry.example/${name}?sig=abc`,
    storageKey: `files/${name}`,
    verified: true,
    status: 'queued',
    collected: false,
    attempts: 0,
    runId: 'run-1',
    ...overrides,
  };
}

const run: MirrorRun = {
  id: 'run-1',
  trigger: 'manual',
  status: 'succeeded',
  createdAt: '2026-01-01T00:00:00.000Z',
  counters: {
    artifacts: 1,
    artifactsFailed: 0,
    versionsSelected: 1,
    versionsDenied: 0,
    versionsPendingApproval: 0,
    filesQueued: 3,
    filesCollected: 2,
    filesFailed: 1,
    filesParked: 1,
    bytes: 10,
  },
};

/** A publisher on a real in-process events service, with what a subscriber received. */
async function publisher(options: { batchSize?: number; maxPending?: number; events?: EventsService } = {}) {
  const logger = mockServices.logger.mock();
  const root = DefaultEventsService.create({ logger: mockServices.logger.mock(), useEventBus: 'never' });
  const received: EventParams[] = [];
  await root.forPlugin('subscriber').subscribe({
    id: 'test',
    topics: Object.values(TOPICS),
    onEvent: async params => {
      received.push(params);
    },
  });
  const events = new EventPublisher({
    events: options.events ?? root.forPlugin('backpack'),
    logger,
    settings: { files: { batchSize: options.batchSize ?? 100, flushAfterMs: 60_000 }, maxPending: options.maxPending ?? 100 },
    baseUrl: async () => `${BASE}/`,
    getRun: async id => (id === run.id ? run : undefined),
  });
  return { events, received, logger };
}

describe('EventPublisher', () => {
  it('publishes file outcomes per run in batches, before the run finished, credentials removed', async () => {
    const { events, received } = await publisher({ batchSize: 2 });
    events.fileSettled(file('a.tgz', { integrity: { algorithm: 'sha512', digest: 'ab' } }), 'collected');
    events.fileSettled(
      file('b.tgz', { error: 'GET https://user:token@registry.example/b.tgz?sig=abc: 404', errorKind: 'permanent' }),
      'parked',
    );
    events.fileSettled(file('c.tgz', { error: 'socket hang up', errorKind: 'transient' }), 'failed');
    events.runFinished('run-1');
    await events.settled();

    expect(received.map(e => e.topic)).toEqual([
      TOPICS.fileCollected,
      TOPICS.fileParked,
      TOPICS.fileFailed,
      TOPICS.runFinished,
    ]);
    const [collected, parked, failed, finished] = received.map(e => e.eventPayload as any);
    expect(collected).toMatchObject({
      outcome: 'collected',
      runId: 'run-1',
      runLink: `${BASE}/runs/run-1`,
      files: [
        {
          processor: 'npm',
          id: '@scope/pkg',
          version: '1.0.0',
          name: 'a.tgz',
          integrity: { algorithm: 'sha512', digest: 'ab' },
          link: `${BASE}/artifacts/npm/%40scope%2Fpkg/versions/1.0.0/files`,
        },
      ],
    });
    expect(parked.files).toEqual([
      expect.objectContaining({ name: 'b.tgz', errorKind: 'permanent', error: 'GET https://registry.example/b.tgz?…: 404' }),
    ]);
    expect(failed.files).toEqual([expect.objectContaining({ name: 'c.tgz', errorKind: 'transient' })]);
    expect(finished.run).toMatchObject({ id: 'run-1', status: 'succeeded', counters: run.counters });
    const all = JSON.stringify(received);
    expect(all).not.toContain('token');
    expect(all).not.toContain('sig=');
  });

  it('publishes denied and approved versions through the admission hook', async () => {
    const { events, received } = await publisher();
    events.versionsDecided({
      decision: 'denied',
      artifact: { processor: 'npm', id: 'left-pad' },
      runId: 'run-1',
      versions: [{ version: '1.3.0', reason: 'published less than 7 days ago' }],
    });
    events.versionsDecided({ decision: 'approved', artifact: { processor: 'npm', id: 'left-pad' }, versions: [] });
    events.versionsDecided({
      decision: 'approved',
      artifact: { processor: 'npm', id: 'left-pad' },
      decidedBy: 'user:default/jane',
      versions: [{ version: '1.3.0' }],
    });
    await events.settled();
    expect(received.map(e => [e.topic, e.eventPayload])).toEqual([
      [
        TOPICS.versionDenied,
        expect.objectContaining({
          decision: 'denied',
          runId: 'run-1',
          versions: [{ version: '1.3.0', reason: 'published less than 7 days ago' }],
          versionsLink: `${BASE}/artifacts/npm/left-pad/versions`,
        }),
      ],
      [
        TOPICS.versionApproved,
        expect.objectContaining({ decidedBy: 'user:default/jane', versions: [{ version: '1.3.0' }] }),
      ],
    ]);
  });

  it('never throws nor blocks when publishing fails, and goes on with the next event', async () => {
    const failing: EventsService = {
      publish: jest.fn().mockRejectedValueOnce(new Error('bus down')).mockResolvedValue(undefined),
      subscribe: jest.fn(),
    };
    const { events, logger } = await publisher({ events: failing });
    expect(() => events.artifactDeleted({ processor: 'npm', id: 'a' })).not.toThrow();
    events.artifactDeleted({ processor: 'npm', id: 'b' });
    await events.settled();
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('Publishing backpack.artifact.deleted failed: bus down'));
    expect(failing.publish).toHaveBeenCalledTimes(2);
    expect(failing.publish).toHaveBeenLastCalledWith({
      topic: TOPICS.artifactDeleted,
      eventPayload: expect.objectContaining({ artifact: { processor: 'npm', id: 'b', link: `${BASE}/artifacts/npm/b` } }),
    });
  });

  it('drops events beyond maxPending rather than holding them, and says so', async () => {
    let release!: () => void;
    const slow: EventsService = {
      publish: jest.fn(() => new Promise<void>(resolve => (release = resolve))),
      subscribe: jest.fn(),
    };
    const { events, logger } = await publisher({ events: slow, maxPending: 2 });
    for (const id of ['a', 'b', 'c', 'd']) events.artifactDeleted({ processor: 'npm', id });
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('dropping events'));
    await new Promise(resolve => setImmediate(resolve));
    release();
    await new Promise(resolve => setImmediate(resolve));
    release();
    await events.settled();
    expect(slow.publish).toHaveBeenCalledTimes(2);
  });
});

describe('createBackpackEvents', () => {
  const deps = {
    logger: mockServices.logger.mock(),
    discovery: mockServices.discovery(),
    getRun: async () => undefined,
  };

  it('is the no-op publisher without an events service, or when disabled', () => {
    const events = DefaultEventsService.create({ logger: mockServices.logger.mock() }).forPlugin('backpack');
    expect(createBackpackEvents({ ...deps, config: new ConfigReader({}) })).toBe(noopBackpackEvents);
    expect(
      createBackpackEvents({ ...deps, events, config: new ConfigReader({ backpack: { events: { enabled: false } } }) }),
    ).toBe(noopBackpackEvents);
    expect(createBackpackEvents({ ...deps, events, config: new ConfigReader({}) }).enabled).toBe(true);
  });

  it('reads the batching knobs and refuses nonsense', () => {
    expect(readEventSettings(new ConfigReader({}))).toEqual({
      enabled: true,
      files: { batchSize: 100, flushAfterMs: 5000 },
      maxPending: 10000,
    });
    expect(
      readEventSettings(new ConfigReader({ backpack: { events: { files: { batchSize: 10, flushSeconds: 0.5 } } } })).files,
    ).toEqual({ batchSize: 10, flushAfterMs: 500 });
    expect(() => readEventSettings(new ConfigReader({ backpack: { events: { files: { batchSize: 0 } } } }))).toThrow(
      'backpack.events.files.batchSize must be a positive integer, got 0',
    );
    expect(() => readEventSettings(new ConfigReader({ backpack: { events: { files: { flushSeconds: -1 } } } }))).toThrow(
      'backpack.events.files.flushSeconds must be a positive number, got -1',
    );
  });
});
