import { Config } from '@backstage/config';
import { QueueSettings, readQueueSettings } from './queue/createJobQueue';

/** Collection settings read from `backpack.collection`. */
export interface CollectionSettings {
  /** How long a worker holds a file without renewing its lease. */
  leaseMs: number;
  /** Downloads from one upstream host at once per replica. */
  maxConcurrencyPerHost: number;
  /** How long a file parked after transient failures waits before the sweep queues it again. */
  parkedRetryAfterMs: number;
  /** How long `GET /stats` answers are reused; 0 computes every request. */
  statsCacheMs: number;
}

/**
 * Reads `backpack.collection`. The per-host limit defaults to one less than
 * the queue's concurrency (at least 1): a single-host backlog (npm's one
 * registry) keeps nearly every worker busy, and one slow host always leaves
 * a worker to the others.
 */
export function readCollectionSettings(
  config: Config,
  queue: Pick<QueueSettings, 'concurrency'>,
): CollectionSettings {
  const collection = config.getOptionalConfig('backpack.collection');
  return {
    leaseMs: Math.max(3000, collection?.getOptionalNumber('leaseMs') ?? 30_000),
    maxConcurrencyPerHost: Math.max(
      1,
      collection?.getOptionalNumber('maxConcurrencyPerHost') ??
        queue.concurrency - 1,
    ),
    parkedRetryAfterMs: Math.max(
      0,
      collection?.getOptionalNumber('parkedRetryAfterMs') ?? 15 * 60_000,
    ),
    statsCacheMs: Math.max(0, collection?.getOptionalNumber('statsCacheMs') ?? 5000),
  };
}

/** The settings of the queue and of collection, read together. */
export interface JobSettings {
  queue: QueueSettings;
  collection: CollectionSettings;
}

/** Reads `backpack.queue` and `backpack.collection`. */
export function readJobSettings(config: Config): JobSettings {
  const queue = readQueueSettings(config);
  return { queue, collection: readCollectionSettings(config, queue) };
}
