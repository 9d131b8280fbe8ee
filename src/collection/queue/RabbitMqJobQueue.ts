import { LoggerService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import {
  Channel,
  ChannelModel,
  ConfirmChannel,
  ConsumeMessage,
  Options,
  RecoveringChannelModel,
  connect,
} from 'amqplib';
import {
  CollectJob,
  JobHandler,
  JobOutcome,
  JobQueue,
  QueueDepth,
} from './JobQueue';
import { retryDelayMs, sleep } from '../../lib/retry';
import { normalizeRetryDelays, planOutcome } from './retrySchedule';

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

/** Header carrying the attempt count of a parked or retried job. */
export const ATTEMPT_HEADER = 'x-backpack-attempt';
/** Header saying why a job was parked: `handler` or `max-attempts`. */
export const PARK_REASON_HEADER = 'x-backpack-park-reason';

/**
 * Header of a delayed job that must not be handled before this time (epoch
 * milliseconds): set when its delay is longer than the longest TTL queue.
 */
export const NOT_BEFORE_HEADER = 'x-backpack-not-before';

const DEFAULT_QUEUE = 'backpack.collect';

/** Channels of one connection; replaced as a whole after any loss. */
interface Session {
  model: ChannelModel;
  publisher: ConfirmChannel;
  consumer: Channel;
  subscribed: boolean;
  consumerTag?: string;
  lost: boolean;
}

interface Waiter {
  resolve(session: Session): void;
  reject(error: Error): void;
}

interface Outgoing {
  queue: string;
  job: CollectJob;
  headers?: Record<string, unknown>;
  /** Raw body for messages that could not be decoded. */
  raw?: Buffer;
}

function encode(job: CollectJob): Buffer {
  const { fileRef, key, runId, attempt, deferrals } = job;
  return Buffer.from(
    JSON.stringify({ fileRef, key, runId, attempt, deferrals }),
  );
}

function decode(message: ConsumeMessage): CollectJob {
  const value = JSON.parse(message.content.toString('utf8'));
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.fileRef !== 'number' ||
    typeof value.key !== 'string' ||
    typeof value.attempt !== 'number' ||
    (value.runId !== undefined && typeof value.runId !== 'string') ||
    (value.deferrals !== undefined && typeof value.deferrals !== 'number')
  ) {
    throw new Error('not a collect job');
  }
  return {
    fileRef: value.fileRef,
    key: value.key,
    attempt: value.attempt,
    ...(value.runId !== undefined ? { runId: value.runId } : {}),
    ...(value.deferrals ? { deferrals: value.deferrals } : {}),
  };
}

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
  private readonly url: string;
  private readonly queue: string;
  private readonly prefetch: number;
  private readonly maxAttempts: number;
  private readonly retryDelaysMs: number[];
  private readonly reconnect: Required<
    NonNullable<RabbitMqJobQueueOptions['reconnect']>
  >;
  private readonly connectionName: string;
  private readonly logger?: LoggerService;

  private connection?: RecoveringChannelModel;
  private session?: Session;
  private waiters: Waiter[] = [];
  private handler?: JobHandler;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  private closed = false;
  private stopped?: Promise<void>;

  /** Connects, declares the queues and resolves once they are ready. */
  static async connect(
    options: RabbitMqJobQueueOptions,
  ): Promise<RabbitMqJobQueue> {
    const queue = new RabbitMqJobQueue(options);
    await queue.start();
    return queue;
  }

  private constructor(options: RabbitMqJobQueueOptions) {
    this.url = options.url;
    this.queue = options.queue ?? DEFAULT_QUEUE;
    this.prefetch = Math.max(1, options.prefetch ?? 8);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.retryDelaysMs = normalizeRetryDelays(options.retryDelaysMs);
    this.reconnect = {
      initialDelayMs: options.reconnect?.initialDelayMs ?? 100,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 30_000,
      initialMaxRetries: options.reconnect?.initialMaxRetries ?? 5,
    };
    this.connectionName = options.connectionName ?? 'backpack';
    this.logger = options.logger;
  }

  /** Whether a connection with its channels is up right now. */
  get connected(): boolean {
    return this.session !== undefined;
  }

  /** Name of the TTL queue that holds retries delayed by `ms`. */
  retryQueueName(ms: number): string {
    return `${this.queue}.retry.${ms}`;
  }

  /** Name of the queue that holds parked jobs. */
  get parkedQueueName(): string {
    return `${this.queue}.parked`;
  }

  async enqueue(jobs: CollectJob[]): Promise<void> {
    const outgoing = jobs.map(job => ({
      queue: this.queue,
      job,
      headers: { [ATTEMPT_HEADER]: job.attempt },
    }));
    let pending: Outgoing[] = outgoing;
    for (let refusals = 0; pending.length > 0; ) {
      const session = await this.waitForSession();
      const confirmed = await this.publish(session, pending);
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
    if (this.handler) {
      throw new Error('The job queue already has a consumer');
    }
    if (this.stopping) {
      throw new Error('The job queue is stopped');
    }
    this.handler = handler;
    if (this.session) {
      await this.subscribe(this.session);
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
    const session = this.session;
    if (!session) {
      throw new ServiceUnavailableError('RabbitMQ is not connected');
    }
    // A separate channel, so a failing check cannot take down the others.
    const channel = await session.model.createChannel();
    channel.on('error', () => {});
    try {
      const main = await channel.checkQueue(this.queue);
      const parked = await channel.checkQueue(this.parkedQueueName);
      let delayed = 0;
      for (const ms of new Set(this.retryDelaysMs)) {
        delayed += (await channel.checkQueue(this.retryQueueName(ms)))
          .messageCount;
      }
      return {
        ready: main.messageCount,
        inFlight: this.inFlight.size,
        delayed,
        parked: parked.messageCount,
      };
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
    const session = this.session;
    if (session?.consumerTag && !session.lost) {
      await session.consumer.cancel(session.consumerTag).catch(() => {});
    }
    while (this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
    }
    this.closed = true;
    this.rejectWaiters(new Error('The job queue is stopped'));
    await this.connection?.close().catch(() => {});
  }

  private async start() {
    const connection = await connect(this.url, {
      clientProperties: { connection_name: this.connectionName },
      recovery: {
        initialDelay: this.reconnect.initialDelayMs,
        maxDelay: this.reconnect.maxDelayMs,
        initialMaxRetries: this.reconnect.initialMaxRetries,
        waitForConnect: false,
        setup: (model: ChannelModel) => this.setup(model),
      },
    });
    this.connection = connection;
    connection.on('error', error =>
      this.logger?.warn(`RabbitMQ connection error: ${error}`),
    );
    connection.on('disconnect', error =>
      this.logger?.warn(`RabbitMQ connection lost, reconnecting: ${error}`),
    );
    connection.on('connect-failed', error =>
      this.logger?.warn(`RabbitMQ connection attempt failed: ${error}`),
    );
    connection.on('reconnect-failed', error => {
      this.logger?.error(`RabbitMQ reconnection given up: ${error}`);
      this.rejectWaiters(error);
    });
    try {
      await connection.waitForConnect();
    } catch (error) {
      await connection.close().catch(() => {});
      throw error;
    }
  }

  /** Runs on every (re)connection, before the connection counts as up. */
  private async setup(model: ChannelModel) {
    const publisher = await model.createConfirmChannel();
    const consumer = await model.createChannel();
    const session: Session = {
      model,
      publisher,
      consumer,
      subscribed: false,
      lost: false,
    };
    const onLoss = () => this.lose(session);
    for (const emitter of [publisher, consumer]) {
      // Without listeners, channel errors would be thrown.
      emitter.on('error', error =>
        this.logger?.warn(`RabbitMQ channel error: ${error}`),
      );
      emitter.on('close', onLoss);
    }
    model.on('close', onLoss);
    model.on('error', () => {});

    await this.declare(publisher);
    await consumer.prefetch(this.prefetch);
    if (session.lost) {
      throw new Error('RabbitMQ channel lost during setup');
    }
    this.session = session;
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach(w => w.resolve(session));
    await this.subscribe(session);
  }

  private async declare(channel: Channel) {
    await channel.assertQueue(this.queue, { durable: true });
    await channel.assertQueue(this.parkedQueueName, { durable: true });
    for (const ms of new Set(this.retryDelaysMs)) {
      await channel.assertQueue(this.retryQueueName(ms), {
        durable: true,
        arguments: {
          'x-message-ttl': ms,
          // The default exchange routes by queue name: expired retries go
          // straight back to the main queue.
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': this.queue,
        },
      });
    }
  }

  /** Forgets a broken session; closing its connection makes amqplib reconnect. */
  private lose(session: Session) {
    if (session.lost) {
      return;
    }
    session.lost = true;
    if (this.session === session) {
      this.session = undefined;
    }
    if (!this.closed) {
      // A channel can close on its own (e.g. a broker-side channel error);
      // reconnecting as a whole rebuilds every channel and subscription.
      session.model.close().catch(() => {});
    }
  }

  private waitForSession(): Promise<Session> {
    if (this.closed) {
      return Promise.reject(new Error('The job queue is stopped'));
    }
    if (this.session) {
      return Promise.resolve(this.session);
    }
    return new Promise((resolve, reject) =>
      this.waiters.push({ resolve, reject }),
    );
  }

  private rejectWaiters(error: Error) {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach(w => w.reject(error));
  }

  private async subscribe(session: Session) {
    if (session.subscribed || session.lost || this.stopping || !this.handler) {
      return;
    }
    session.subscribed = true;
    const { consumerTag } = await session.consumer.consume(
      this.queue,
      message => this.onMessage(session, message),
      { noAck: false },
    );
    session.consumerTag = consumerTag;
  }

  private onMessage(session: Session, message: ConsumeMessage | null) {
    if (!message) {
      // The broker cancelled the consumer, e.g. because the queue was
      // deleted; reconnecting declares it again and resubscribes.
      this.logger?.warn(`RabbitMQ cancelled the consumer of ${this.queue}`);
      this.lose(session);
      return;
    }
    if (this.stopping) {
      // Arrived after stop() cancelled the consumer: give it to another one.
      this.settle(session, () => session.consumer.nack(message, false, true));
      return;
    }
    const work = this.handle(session, message).catch(error =>
      this.logger?.error(`RabbitMQ job handling failed: ${error}`),
    );
    this.inFlight.add(work);
    work.finally(() => this.inFlight.delete(work));
  }

  private async handle(session: Session, message: ConsumeMessage) {
    let job: CollectJob;
    try {
      job = decode(message);
    } catch (error) {
      this.logger?.error(
        `Parking undecodable message ${message.properties.messageId}: ${error}`,
      );
      await this.forward(session, message, {
        queue: this.parkedQueueName,
        job: { fileRef: -1, key: '', attempt: 0 },
        raw: message.content,
        headers: { [PARK_REASON_HEADER]: 'undecodable' },
      });
      return;
    }

    // A delay longer than the longest TTL queue passes through it again.
    const notBefore = Number(message.properties.headers?.[NOT_BEFORE_HEADER]);
    if (Number.isFinite(notBefore) && notBefore > Date.now()) {
      await this.forward(session, message, this.delayed(job, notBefore - Date.now()));
      return;
    }

    let outcome: JobOutcome;
    try {
      outcome = await this.handler!(job);
    } catch (error) {
      // A throwing handler did not record an outcome; try again later.
      this.logger?.warn(`Collect job ${job.key} failed: ${error}`);
      outcome = 'retry';
    }

    if (session.lost) {
      // Unacked messages of a lost channel go back to the queue.
      this.logger?.debug(
        `Channel lost while handling ${job.key}; the broker will deliver it again`,
      );
      return;
    }

    const action = planOutcome(job, outcome, {
      maxAttempts: this.maxAttempts,
      retryDelaysMs: this.retryDelaysMs,
    });
    if (action.kind === 'delay') {
      await this.forward(session, message, this.delayed(action.job, action.delayMs));
    } else if (action.kind === 'park') {
      await this.forward(session, message, {
        queue: this.parkedQueueName,
        job: action.job,
        headers: {
          [ATTEMPT_HEADER]: action.job.attempt,
          [PARK_REASON_HEADER]: action.reason,
        },
      });
    } else {
      this.settle(session, () => session.consumer.ack(message));
    }
  }

  /**
   * The copy of a job that waits `delayMs`: in the smallest TTL queue at
   * least that long, or in the longest with the time it may run again.
   */
  private delayed(job: CollectJob, delayMs: number): Outgoing {
    const ttls = [...new Set(this.retryDelaysMs)].sort((a, b) => a - b);
    const fitting = ttls.find(ms => ms >= delayMs);
    const headers: Record<string, unknown> = { [ATTEMPT_HEADER]: job.attempt };
    if (fitting === undefined) {
      headers[NOT_BEFORE_HEADER] = Date.now() + delayMs;
    }
    return {
      queue: this.retryQueueName(fitting ?? ttls[ttls.length - 1]),
      job,
      headers,
    };
  }

  /** Republishes a copy, then acknowledges the original once the copy is confirmed. */
  private async forward(
    session: Session,
    message: ConsumeMessage,
    copy: Outgoing,
  ) {
    const [confirmed] = await this.publish(session, [copy]);
    if (confirmed) {
      this.settle(session, () => session.consumer.ack(message));
    } else {
      // Requeue the original so it is not held until the channel closes.
      this.settle(session, () => session.consumer.nack(message, false, true));
    }
  }

  /** Acks or nacks unless the channel is gone, in which case the broker redelivers. */
  private settle(session: Session, action: () => void) {
    if (session.lost) {
      return;
    }
    try {
      action();
    } catch (error) {
      this.logger?.debug(`Could not settle a message: ${error}`);
    }
  }

  /**
   * Publishes persistent messages on the confirm channel and tells for each
   * whether the broker confirmed it.
   */
  private async publish(
    session: Session,
    messages: Outgoing[],
  ): Promise<boolean[]> {
    const channel = session.publisher;
    const confirmations: Promise<boolean>[] = [];
    for (const message of messages) {
      if (session.lost) {
        confirmations.push(Promise.resolve(false));
        continue;
      }
      const options: Options.Publish = {
        persistent: true,
        messageId: message.job.key || undefined,
        contentType: 'application/json',
        headers: message.headers,
      };
      let writable = true;
      confirmations.push(
        new Promise<boolean>(resolve => {
          try {
            writable = channel.sendToQueue(
              message.queue,
              message.raw ?? encode(message.job),
              options,
              error => resolve(!error),
            );
          } catch {
            // The channel closed under us.
            resolve(false);
          }
        }),
      );
      if (!writable && !session.lost) {
        await new Promise<void>(resolve => {
          const done = () => {
            channel.off('drain', done);
            channel.off('close', done);
            resolve();
          };
          channel.on('drain', done);
          channel.on('close', done);
        });
      }
    }
    return Promise.all(confirmations);
  }
}
