import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InProcessJobQueue } from './InProcessJobQueue';
import { JobQueue } from './JobQueue';
import { RabbitMqJobQueue } from './RabbitMqJobQueue';

/** Collection settings read from `backpack.queue`. */
export interface QueueSettings {
  maxAttempts: number;
  retryDelaysMs: number[];
  concurrency: number;
  /** Whether jobs outlive this process (RabbitMQ) or not (in-process). */
  durable: boolean;
}

export function readQueueSettings(config: Config): QueueSettings {
  const queue = config.getOptionalConfig('backpack.queue');
  return {
    maxAttempts: queue?.getOptionalNumber('maxAttempts') ?? 5,
    retryDelaysMs: queue?.getOptional<number[]>('retryDelaysMs') ?? [1000, 10_000, 60_000],
    concurrency: queue?.getOptionalNumber('concurrency') ?? 8,
    durable: Boolean(queue?.has('rabbitmq')),
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
    retryBaseDelayMs: settings.retryDelaysMs[0],
    retryMaxDelayMs: settings.retryDelaysMs[settings.retryDelaysMs.length - 1],
    logger,
  });
}
