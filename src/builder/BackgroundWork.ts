import {
  LoggerService,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { JobSettings } from '../collection/collectionSettings';
import { BackpackStores } from '../database/createBackpackStores';
import { BackpackEvents } from '../events/BackpackEvents';
import { ExportService } from '../exports/ExportService';
import { isDeadLocalWorker } from '../lib/workerIdentity';
import { RunService } from '../runs/RunService';
import { BlobStore } from '../storage/BlobStore';
import { StorageKeyMigration } from '../storage/StorageKeyMigration';
import { CollectionParts } from './collectionParts';

const MIRROR_TASK_ID = 'backpack-mirror-run';
const SWEEP_TASK_ID = 'backpack-collection-sweep';
const KEY_MIGRATION_TASK_ID = 'backpack-storage-key-migration';
const REAPER_TASK_ID = 'backpack-lease-reaper';

/**
 * What Backpack does besides answering requests: the scheduled tasks, and
 * the order of startup and shutdown.
 */
export class BackgroundWork {
  private readonly keyMigration: StorageKeyMigration;

  constructor(
    private readonly options: {
      config: Config;
      logger: LoggerService;
      stores: BackpackStores;
      blobStore: BlobStore;
      parts: CollectionParts;
      jobs: JobSettings;
      runs: RunService;
      exports: ExportService;
      /** Change events; what is batched is published at shutdown. */
      events?: BackpackEvents;
      /** Closes what the parts share (the upstream transport). */
      close(): Promise<void>;
    },
  ) {
    const { stores, blobStore, logger } = options;
    this.keyMigration = new StorageKeyMigration({ stores, blobStore, logger });
  }

  async schedule(scheduler: SchedulerService): Promise<void> {
    const { config, parts, runs, jobs } = this.options;
    const scheduleConfig = config.getOptionalConfig('backpack.schedule');
    await scheduler.scheduleTask({
      id: MIRROR_TASK_ID,
      scope: 'global',
      ...(scheduleConfig
        ? readSchedulerServiceTaskScheduleDefinitionFromConfig(scheduleConfig)
        : { frequency: { hours: 6 }, timeout: { hours: 3 } }),
      fn: signal => runs.runScheduled(signal),
    });
    // Jobs can go missing between runs (a broker lost a queue), and an
    // outage parks files; the sweep queues both again.
    await scheduler.scheduleTask({
      id: SWEEP_TASK_ID,
      scope: 'global',
      frequency: { minutes: 10 },
      timeout: { minutes: 5 },
      initialDelay: { minutes: 10 },
      fn: async () => {
        await this.sweep();
      },
    });
    // A replica that died holding leases: its files are queued again soon
    // after the leases ran out, not at the next sweep.
    await scheduler.scheduleTask({
      id: REAPER_TASK_ID,
      scope: 'global',
      frequency: { seconds: Math.max(5, Math.round(jobs.collection.leaseMs / 2000)) },
      timeout: { minutes: 1 },
      fn: async () => {
        await parts.reaper.reap();
      },
    });
    // Files stored under the keys of earlier releases move to derived keys
    // with verified bytes, on one replica at a time; later runs catch a
    // collection that finished under an old key meanwhile.
    await scheduler.scheduleTask({
      id: KEY_MIGRATION_TASK_ID,
      scope: 'global',
      frequency: { hours: 1 },
      timeout: { hours: 12 },
      initialDelay: { seconds: 5 },
      fn: async signal => {
        const { reset } = await this.keyMigration.run(signal);
        if (reset > 0) {
          await parts.collector.sweep({ requeueAfterMs: jobs.queue.startupRequeueAfterMs });
        }
      },
    });
  }

  async start(): Promise<void> {
    const { blobStore, logger, parts, runs, exports } = this.options;
    // What writers that crashed left behind (temporary files, incomplete
    // uploads) goes first; failing to clean is no reason not to start.
    await blobStore
      .recover?.()
      .then(({ removed, skipped }) =>
        skipped
          ? logger.warn(`Blob store recovery skipped: ${skipped}`)
          : removed && logger.info(`Removed ${removed} leftovers of crashed writers`),
      )
      .catch(error => logger.warn(`Blob store recovery failed: ${error}`));
    // Leases of processes on this host that no longer run (a kill -9
    // before this restart) end now rather than when they run out.
    await parts.reaper.reap({ isDead: isDeadLocalWorker });
    await parts.collector.start();
    // Nothing is lost across restarts: files neither collected nor in
    // flight are queued again, and runs left behind are resumed.
    await this.sweep();
    await runs.resumeAbandoned();
    parts.watcher.start();
    await exports.failAbandoned();
  }

  async stop(): Promise<void> {
    const { parts, runs, exports } = this.options;
    await runs.stop();
    await exports.stop();
    await parts.watcher.stop();
    // Downloads in flight are abandoned rather than awaited; their files
    // are released and collected after the restart.
    parts.collector.stop();
    await parts.queue.stop();
    await this.options.events?.stop();
    await parts.fetcher.close();
    await this.options.close();
  }

  private sweep() {
    const { parts, jobs } = this.options;
    return parts.collector.sweep({
      requeueAfterMs: jobs.queue.startupRequeueAfterMs,
      parkedRetryAfterMs: jobs.collection.parkedRetryAfterMs,
    });
  }
}
