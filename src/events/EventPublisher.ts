import { LoggerService } from '@backstage/backend-plugin-api';
import { EventsService } from '@backstage/plugin-events-node';
import { StoredFile } from '../database/FileStore';
import { ExportRecord } from '../exports/types';
import { errorMessage } from '../lib/errorMessage';
import { Artifact, MirrorRun } from '../types';
import { BackpackEvents, VersionDecision } from './BackpackEvents';
import { EventSettings } from './eventSettings';
import { FileEventBatcher } from './FileEventBatcher';
import {
  artifactPayload,
  artifactRef,
  exportPayload,
  fileEntry,
  redactedMessage,
  runLink,
  runPayload,
} from './payloads';
import {
  BACKPACK_EVENT_TOPICS as TOPICS,
  BackpackFileEventEntry,
  BackpackFileEventPayload,
  BackpackFileOutcome,
  BackpackVersionEventPayload,
} from './topics';

/** A subscriber slower than this no longer holds up the events behind it. */
const PUBLISH_TIMEOUT_MS = 30_000;
/** How long stop() waits for events still being published. */
const STOP_WAIT_MS = 5_000;

const FILE_TOPICS: Record<BackpackFileOutcome, string> = {
  collected: TOPICS.fileCollected,
  failed: TOPICS.fileFailed,
  parked: TOPICS.fileParked,
};

const VERSION_TOPICS: Record<VersionDecision['decision'], string> = {
  selected: TOPICS.versionSelected,
  denied: TOPICS.versionDenied,
  approved: TOPICS.versionApproved,
};

/** Options of {@link EventPublisher}. */
export interface EventPublisherOptions {
  events: EventsService;
  logger: LoggerService;
  settings: Pick<EventSettings, 'files' | 'maxPending'>;
  /** The plugin's external base URL, e.g. `https://backstage.example.com/api/backpack`. */
  baseUrl(): Promise<string>;
  /** Reads a run as it is now, for `backpack.run.finished`. */
  getRun(id: string): Promise<MirrorRun | undefined>;
}

/**
 * Publishes Backpack's changes on Backstage's events service. Callers
 * never wait: events go through one queue, in the order they happened,
 * and are built (links, the finished run) and published in the
 * background. A failed publish is logged; a queue that outgrows
 * `maxPending` (no events service keeping up) drops new events, logged.
 */
export class EventPublisher implements BackpackEvents {
  readonly enabled = true;
  private readonly batcher: FileEventBatcher<(base: string) => BackpackFileEventEntry>;
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private dropped = 0;
  private base?: Promise<string>;

  constructor(private readonly options: EventPublisherOptions) {
    this.batcher = new FileEventBatcher(options.settings.files, (runId, outcome, files) =>
      this.enqueue(FILE_TOPICS[outcome], async (base, occurredAt) => {
        const payload: BackpackFileEventPayload = {
          outcome,
          ...(runId ? { runId, runLink: runLink(base, runId) } : {}),
          files: files.map(build => build(base)),
          occurredAt,
        };
        return payload;
      }),
    );
  }

  artifactCreated(artifact: Artifact, options: { promoted?: boolean } = {}): void {
    const snapshot = { ...artifact };
    this.enqueue(TOPICS.artifactCreated, async (base, at) =>
      artifactPayload(base, snapshot, { promoted: options.promoted ?? false }, at),
    );
  }

  artifactUpdated(artifact: Artifact, changed: string[]): void {
    const snapshot = { ...artifact };
    this.enqueue(TOPICS.artifactUpdated, async (base, at) =>
      artifactPayload(base, snapshot, { changed: [...changed] }, at),
    );
  }

  artifactDeleted(artifact: { processor: string; id: string }): void {
    const { processor, id } = artifact;
    this.enqueue(TOPICS.artifactDeleted, async (base, occurredAt) => ({
      artifact: artifactRef(base, { processor, id }),
      occurredAt,
    }));
  }

  versionsDecided(decision: VersionDecision): void {
    if (decision.versions.length === 0) return;
    const versions = decision.versions.map(v => ({
      version: v.version,
      ...(v.selection ? { selection: v.selection.map(r => ({ ...r })) } : {}),
      ...(v.reason ? { reason: redactedMessage(v.reason) } : {}),
    }));
    this.enqueue(VERSION_TOPICS[decision.decision], async (base, occurredAt) => {
      const artifact = artifactRef(base, decision.artifact);
      const payload: BackpackVersionEventPayload = {
        artifact,
        decision: decision.decision,
        ...(decision.runId ? { runId: decision.runId } : {}),
        ...(decision.decidedBy ? { decidedBy: decision.decidedBy } : {}),
        versions,
        versionsLink: `${artifact.link}/versions`,
        occurredAt,
      };
      return payload;
    });
  }

  fileSettled(file: StoredFile, outcome: BackpackFileOutcome): void {
    // The link needs the base URL, known only in the queue: the entry is
    // built there, from a snapshot of the file as it settled.
    const snapshot = { ...file };
    this.batcher.add(file.runId, outcome, (base: string) => fileEntry(base, snapshot, outcome));
  }

  runStarted(run: MirrorRun): void {
    const snapshot = { ...run, status: 'running' as const, counters: { ...run.counters } };
    this.enqueue(TOPICS.runStarted, async (base, at) => runPayload(base, snapshot, at));
  }

  runFinished(runId: string): void {
    // The run's files come before the run's end.
    this.batcher.flush(runId);
    this.enqueue(TOPICS.runFinished, async (base, at) => {
      const run = await this.options.getRun(runId);
      return run && runPayload(base, run, at);
    });
  }

  exportSealed(record: ExportRecord): void {
    const snapshot = { ...record, parts: [...record.parts] };
    this.enqueue(TOPICS.exportSealed, async (base, at) => exportPayload(base, snapshot, at));
  }

  async stop(): Promise<void> {
    this.batcher.flushAll();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.tail,
      new Promise<void>(resolve => {
        timer = setTimeout(resolve, STOP_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Waits until everything queued so far was published (or failed); for tests. */
  async settled(): Promise<void> {
    this.batcher.flushAll();
    await this.tail;
  }

  private enqueue(
    topic: string,
    build: (base: string, occurredAt: string) => Promise<object | undefined>,
  ): void {
    const { logger, settings } = this.options;
    if (this.pending >= settings.maxPending) {
      if (this.dropped++ === 0) {
        logger.warn(`Backpack events are published slower than they happen; dropping events (first: ${topic})`);
      }
      return;
    }
    if (this.dropped > 0) {
      logger.warn(`Dropped ${this.dropped} Backpack events while the queue was full`);
      this.dropped = 0;
    }
    this.pending += 1;
    const occurredAt = new Date().toISOString();
    this.tail = this.tail
      .then(async () => {
        const payload = await build(await this.baseUrl(), occurredAt);
        if (payload) await this.publish(topic, payload);
      })
      .catch(error => logger.warn(`Publishing ${topic} failed: ${errorMessage(error)}`))
      .finally(() => {
        this.pending -= 1;
      });
  }

  private async publish(topic: string, eventPayload: object): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${PUBLISH_TIMEOUT_MS / 1000}s; moving on`)),
        PUBLISH_TIMEOUT_MS,
      );
      timer.unref?.();
    });
    try {
      await Promise.race([this.options.events.publish({ topic, eventPayload }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private baseUrl(): Promise<string> {
    this.base ??= this.options.baseUrl().then(url => url.replace(/\/+$/, ''));
    // A discovery failure is tried again with the next event.
    this.base.catch(() => {
      this.base = undefined;
    });
    return this.base;
  }
}
