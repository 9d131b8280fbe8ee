import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InProcessJobQueue } from './InProcessJobQueue';
import { JobQueue } from './JobQueue';
import { RabbitMqJobQueue } from './RabbitMqJobQueue';
import { normalizeRetryDelays } from './retrySchedule';

/** Collection settings read from `backpack.queue`. */
export interface QueueSettings {
  maxAttempts: number;
  retryDelaysMs: number[];
  concurrency: number;
  /** Upper bound of an upstream's Retry-After that a retry honours. */
  maxRetryAfterMs: number;
  /** Whether jobs outlive this process (RabbitMQ) or not (in-process). */
  durable: boolean;
  /**
   * A file queued less than this long ago is taken to be in flight
   * (waiting in the queue or in a retry delay) and is not queued again.
   */
  requeueAfterMs: number;
  /**
   * The same window for the sweep at startup: in-process jobs die with the
   * process, so then everything queued is stale; RabbitMQ's jobs survive a
   * restart, so the window stays.
   */
  startupRequeueAfterMs: number;
}

export function readQueueSettings(config: Config): QueueSettings {
  const queue = config.getOptionalConfig('backpack.queue');
  const durable = Boolean(queue?.has('rabbitmq'));
  const requeueAfterMs = Math.max(0, queue?.getOptionalNumber('requeueAfterMinutes') ?? 60) * 60_000;
  return {
    maxAttempts: queue?.getOptionalNumber('maxAttempts') ?? 5,
    retryDelaysMs: normalizeRetryDelays(queue?.getOptional<number[]>('retryDelaysMs')),
    concurrency: queue?.getOptionalNumber('concurrency') ?? 8,
    maxRetryAfterMs: queue?.getOptionalNumber('maxRetryAfterMs') ?? 60 * 60_000,
    durable,
    requeueAfterMs,
    startupRequeueAfterMs: durable ? requeueAfterMs : 0,
  };
}

/**
 * The job queue the config asks for: RabbitMQ when `backpack.queue.rabbitmq`
 * is set, the in-process queue otherwise.
 */
export async function createJobQueue(
  config: Config,
  logger: LoggerService,
): Promise<JobQueue> {
  const settings = readQueueSettings(config);
  const rabbit = config.getOptionalConfig('backpack.queue.rabbitmq');
  if (rabbit) {
    const queue = rabbit.getOptionalString('queue');
    return RabbitMqJobQueue.connect({
      url: rabbit.getString('url'),
      queue,
      // Names the connection after its queue in the broker's tools, so an
      // operator sees which backend it belongs to.
      connectionName: `backpack:${queue ?? 'backpack.collect'}`,
      prefetch: rabbit.getOptionalNumber('prefetch') ?? settings.concurrency,
      maxAttempts: settings.maxAttempts,
      retryDelaysMs: settings.retryDelaysMs,
      logger,
    });
  }
  return new InProcessJobQueue({
    concurrency: settings.concurrency,
    maxAttempts: settings.maxAttempts,
    retryDelaysMs: settings.retryDelaysMs,
    logger,
  });
}
