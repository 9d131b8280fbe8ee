import { LoggerService, UrlReaderService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { Collector } from '../collection/Collector';
import { JobSettings } from '../collection/collectionSettings';
import { readUnverifiedFilesPolicy } from '../collection/fileAdmission';
import { LeaseReaper } from '../collection/LeaseReaper';
import { createJobQueue } from '../collection/queue/createJobQueue';
import { JobQueue } from '../collection/queue/JobQueue';
import { BackpackStores } from '../database/createBackpackStores';
import { BackpackEvents } from '../events/BackpackEvents';
import { isDeadLocalWorker } from '../lib/workerIdentity';
import { RunWatcher } from '../runs/RunWatcher';
import { BlobStore } from '../storage/BlobStore';
import { readDownloadLimits } from '../upstream/limits';
import { isRetryable, SafeFetcher } from '../upstream/SafeFetcher';

/** What collects files: the queue, the fetcher and collector, and what keeps them honest. */
export interface CollectionParts {
  queue: JobQueue;
  fetcher: SafeFetcher;
  collector: Collector;
  /** Takes back the files of workers whose leases ran out. */
  reaper: LeaseReaper;
  /** Settles collecting runs once their files are collected or parked. */
  watcher: RunWatcher;
}

/** Creates the collection side of Backpack from config. */
export async function createCollectionParts(options: {
  config: Config;
  logger: LoggerService;
  stores: BackpackStores;
  blobStore: BlobStore;
  /** The plugin's UrlReaderService, which files are read through. */
  urlReader: UrlReaderService;
  /** Whether the reader hands a URL to Backpack's own reader. */
  gated: (url: URL) => boolean;
  jobs: JobSettings;
  workerId: string;
  runWatchIntervalMs?: number;
  events?: BackpackEvents;
}): Promise<CollectionParts> {
  const { config, logger, stores, blobStore, urlReader, gated, jobs, workerId } = options;
  const queue = await createJobQueue(config, logger);
  const fetcher = new SafeFetcher({ reader: urlReader, gated, download: readDownloadLimits(config) });
  const watcher = new RunWatcher({
    stores,
    logger,
    workerId,
    isDeadWorker: isDeadLocalWorker,
    intervalMs: options.runWatchIntervalMs,
    events: options.events,
  });
  const collector = new Collector({
    stores,
    blobStore,
    queue,
    fetcher,
    logger,
    workerId,
    maxAttempts: jobs.queue.maxAttempts,
    isRetryable,
    unverifiedFiles: readUnverifiedFilesPolicy(config),
    leaseMs: jobs.collection.leaseMs,
    maxConcurrencyPerHost: jobs.collection.maxConcurrencyPerHost,
    maxRetryAfterMs: jobs.queue.maxRetryAfterMs,
    onSettled: runId => watcher.nudge(runId),
    events: options.events,
  });
  const reaper = new LeaseReaper({ stores, queue });
  return { queue, fetcher, collector, reaper, watcher };
}
