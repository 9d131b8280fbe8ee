import { LoggerService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import { retryDelayMs, sleep } from '../../lib/retry';
import { CollectJob, JobHandler, JobQueue, QueueDepth } from './JobQueue';
import { RabbitMqConnection } from './RabbitMqConnection';
import { RabbitMqDelivery } from './RabbitMqDelivery';
import { Outgoing } from './rabbitMqMessages';
import { RabbitMqTopology } from './RabbitMqTopology';
import { normalizeRetryDelays } from './retrySchedule';

// The headers are part of the driver's contract (what an operator sees on
// a parked message), so they are exported from here too.
export {
  ATTEMPT_HEADER,
  NOT_BEFORE_HEADER,
  PARK_REASON_HEADER,
} from './rabbitMqMessages';

/** Options of {@link RabbitMqJobQueue}. */
export interface RabbitMqJobQueueOptions {
  /** AMQP URL, e.g. `amqp://user:password@host:5672/vhost`. */
  url: string;
  /** Name of the main queue; retry and parking queues are named after it. Default `backpack.collect`. */
  queue?: string;
  /** Unacknowledged deliveries per consumer, i.e. handlers running at once in this process. Default 8. */
  prefetch?: number;
  /** A job whose handler asked to retry this many times in total is parked. Default 5. */
  maxAttempts?: number;
  /**
   * Delay before retry n is `retryDelaysMs[n - 1]`, the last one repeating.
   * Every distinct delay gets its own TTL queue; a longer delay a handler
   * asks for (Retry-After, a deferral) takes the smallest TTL queue at least
   * as long, or the longest one again and again until it passed. Default
   * `[1000, 10000, 60000]`.
   */
  retryDelaysMs?: number[];
  /** Backoff of reconnect attempts after a connection or channel loss. */
  reconnect?: {
    /** Default 100. */
    initialDelayMs?: number;
    /** Default 30000. */
    maxDelayMs?: number;
    /** Attempts before the first connection gives up and `connect` rejects. Default 5. */
    initialMaxRetries?: number;
  };
  /** Shown by the broker's management tools. Default `backpack`. */
  connectionName?: string;
  logger?: LoggerService;
}

const DEFAULT_QUEUE = 'backpack.collect';

/**
 * Collect jobs over RabbitMQ.
 *
 * - A durable main queue with persistent messages; `enqueue` resolves once
 *   the broker confirmed every message (publisher confirms). The message id
 *   is the job's key.
 * - Manual acknowledgement, only after the handler resolved. A retry is
 *   republished with the next attempt number to a TTL queue
 *   `<queue>.retry.<ms>` that dead-letters back to the main queue; a parked
 *   job goes to `<queue>.parked`. The original is acknowledged only after the
 *   broker confirmed the republished copy.
 * - Any number of processes may consume the same queue; the broker shares
 *   the messages among them.
 * - After a connection or channel loss it reconnects with backoff, declares
 *   the queues again and resubscribes. `enqueue` calls made during the
 *   outage wait and publish after the reconnect.
 *
 * Delivery is at least once: a message whose handler finished while its
 * channel was gone cannot be acknowledged any more and is delivered again,
 * as is a message whose republished retry copy was confirmed just before the
 * connection dropped. Handlers must therefore be idempotent, which the
 * collector is: the database row, not the message, says whether a file is
 * collected. For the same reason duplicates enqueued with the same key are
 * not dropped by this driver.
 */
export class RabbitMqJobQueue implements JobQueue {
  private readonly topology: RabbitMqTopology;
  private readonly maxAttempts: number;
  private readonly retryDelaysMs: number[];
  private readonly reconnect: Required<
    NonNullable<RabbitMqJobQueueOptions['reconnect']>
  >;
  private readonly logger?: LoggerService;
  private readonly connection: RabbitMqConnection;
  private delivery?: RabbitMqDelivery;
  private stopping = false;
  private stopped?: Promise<void>;

  /** Connects, declares the queues and resolves once they are ready. */
  static async connect(
    options: RabbitMqJobQueueOptions,
  ): Promise<RabbitMqJobQueue> {
    const queue = new RabbitMqJobQueue(options);
    await queue.connection.start();
    return queue;
  }

  private constructor(options: RabbitMqJobQueueOptions) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.retryDelaysMs = normalizeRetryDelays(options.retryDelaysMs);
    this.topology = new RabbitMqTopology(options.queue ?? DEFAULT_QUEUE, this.retryDelaysMs);
    this.reconnect = {
      initialDelayMs: options.reconnect?.initialDelayMs ?? 100,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 30_000,
      initialMaxRetries: options.reconnect?.initialMaxRetries ?? 5,
    };
    this.logger = options.logger;
    this.connection = new RabbitMqConnection({
      url: options.url,
      connectionName: options.connectionName ?? 'backpack',
      reconnect: this.reconnect,
      prefetch: Math.max(1, options.prefetch ?? 8),
      logger: options.logger,
      declare: channel => this.topology.declare(channel),
      onSession: async session => {
        if (!this.stopping) await this.delivery?.subscribe(session);
      },
    });
  }

  /** Whether a connection with its channels is up right now. */
  get connected(): boolean {
    return this.connection.current !== undefined;
  }

  /** Name of the TTL queue that holds retries delayed by `ms`. */
  retryQueueName(ms: number): string {
    return this.topology.retryQueueName(ms);
  }

  /** Name of the queue that holds parked jobs. */
  get parkedQueueName(): string {
    return this.topology.parkedQueueName;
  }

  async enqueue(jobs: CollectJob[]): Promise<void> {
    let pending: Outgoing[] = jobs.map(job => this.topology.fresh(job));
    for (let refusals = 0; pending.length > 0; ) {
      const session = await this.connection.waitForSession();
      const confirmed = await this.connection.publish(session, pending);
      pending = pending.filter((_, i) => !confirmed[i]);
      if (pending.length > 0 && !session.lost) {
        // The broker refused (nacked) some messages although the channel
        // is fine; give it a moment before publishing them again.
        await sleep(
          retryDelayMs({
            attempt: refusals++,
            baseMs: this.reconnect.initialDelayMs,
            maxMs: this.reconnect.maxDelayMs,
          }),
        );
      }
    }
  }

  async consume(handler: JobHandler): Promise<void> {
    if (this.delivery) {
      throw new Error('The job queue already has a consumer');
    }
    if (this.stopping) {
      throw new Error('The job queue is stopped');
    }
    this.delivery = new RabbitMqDelivery({
      connection: this.connection,
      topology: this.topology,
      handler,
      maxAttempts: this.maxAttempts,
      retryDelaysMs: this.retryDelaysMs,
      logger: this.logger,
    });
    const session = this.connection.current;
    if (session) {
      await this.delivery.subscribe(session);
    }
  }

  /**
   * Counts from the broker for the main, retry and parking queues.
   * `inFlight` counts only this process's running handlers: unacknowledged
   * messages of other consumers are not visible over AMQP.
   *
   * @throws ServiceUnavailableError while the connection is down, rather
   *   than waiting for it, so health checks answer promptly
   */
  async depth(): Promise<QueueDepth> {
    const session = this.connection.current;
    if (!session) {
      throw new ServiceUnavailableError('RabbitMQ is not connected');
    }
    // A separate channel, so a failing check cannot take down the others.
    const channel = await session.model.createChannel();
    channel.on('error', () => {});
    try {
      const { ready, delayed, parked } = await this.topology.depth(channel);
      return { ready, inFlight: this.delivery?.running ?? 0, delayed, parked };
    } finally {
      await channel.close().catch(() => {});
    }
  }

  stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = this.doStop();
    }
    return this.stopped;
  }

  private async doStop() {
    this.stopping = true;
    await this.delivery?.stop();
    await this.connection.close(new Error('The job queue is stopped'));
  }
}
