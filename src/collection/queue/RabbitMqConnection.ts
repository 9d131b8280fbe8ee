/**
 * The RabbitMQ driver's connection: connects, reconnects with backoff after
 * any loss, rebuilds the channels (a session) each time, and publishes with
 * publisher confirms. Kept apart from delivery so that the recovery rules
 * (what a lost channel means, who waits for the next session) live in one
 * place.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  Channel,
  ChannelModel,
  ConfirmChannel,
  Options,
  RecoveringChannelModel,
  connect,
} from 'amqplib';
import { encodeJob, Outgoing } from './rabbitMqMessages';

/** Channels of one connection; replaced as a whole after any loss. */
export interface RabbitMqSession {
  model: ChannelModel;
  publisher: ConfirmChannel;
  consumer: Channel;
  subscribed: boolean;
  consumerTag?: string;
  lost: boolean;
}

interface Waiter {
  resolve(session: RabbitMqSession): void;
  reject(error: Error): void;
}

/** Options of {@link RabbitMqConnection}. */
export interface RabbitMqConnectionOptions {
  url: string;
  connectionName: string;
  reconnect: { initialDelayMs: number; maxDelayMs: number; initialMaxRetries: number };
  /** Unacknowledged deliveries on the consumer channel. */
  prefetch: number;
  logger?: LoggerService;
  /** Declares the queues; runs on every (re)connection. */
  declare(channel: Channel): Promise<void>;
  /** Runs once a new session is up, e.g. to subscribe again. */
  onSession(session: RabbitMqSession): Promise<void>;
}

/** A connection that recovers by itself, and the session it currently has. */
export class RabbitMqConnection {
  private connection?: RecoveringChannelModel;
  private session?: RabbitMqSession;
  private waiters: Waiter[] = [];
  private closed = false;

  constructor(private readonly options: RabbitMqConnectionOptions) {}

  /** The session while the connection is up. */
  get current(): RabbitMqSession | undefined {
    return this.session;
  }

  /** Connects; resolves once the first session is up, or rejects after the initial retries. */
  async start(): Promise<void> {
    const { logger, reconnect } = this.options;
    const connection = await connect(this.options.url, {
      clientProperties: { connection_name: this.options.connectionName },
      recovery: {
        initialDelay: reconnect.initialDelayMs,
        maxDelay: reconnect.maxDelayMs,
        initialMaxRetries: reconnect.initialMaxRetries,
        waitForConnect: false,
        setup: (model: ChannelModel) => this.setup(model),
      },
    });
    this.connection = connection;
    connection.on('error', error =>
      logger?.warn(`RabbitMQ connection error: ${error}`),
    );
    connection.on('disconnect', error =>
      logger?.warn(`RabbitMQ connection lost, reconnecting: ${error}`),
    );
    connection.on('connect-failed', error =>
      logger?.warn(`RabbitMQ connection attempt failed: ${error}`),
    );
    connection.on('reconnect-failed', error => {
      logger?.error(`RabbitMQ reconnection given up: ${error}`);
      this.rejectWaiters(error);
    });
    try {
      await connection.waitForConnect();
    } catch (error) {
      await connection.close().catch(() => {});
      throw error;
    }
  }

  /** Closes for good; whoever still waits for a session gets `reason`. */
  async close(reason: Error): Promise<void> {
    this.closed = true;
    this.rejectWaiters(reason);
    await this.connection?.close().catch(() => {});
  }

  /** The current session, or the next one once the connection is back. */
  waitForSession(): Promise<RabbitMqSession> {
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

  /** Forgets a broken session; closing its connection makes amqplib reconnect. */
  lose(session: RabbitMqSession): void {
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

  /**
   * Publishes persistent messages on the confirm channel and tells for each
   * whether the broker confirmed it.
   */
  async publish(
    session: RabbitMqSession,
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
              message.raw ?? encodeJob(message.job),
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

  /** Runs on every (re)connection, before the connection counts as up. */
  private async setup(model: ChannelModel) {
    const publisher = await model.createConfirmChannel();
    const consumer = await model.createChannel();
    const session: RabbitMqSession = {
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
        this.options.logger?.warn(`RabbitMQ channel error: ${error}`),
      );
      emitter.on('close', onLoss);
    }
    model.on('close', onLoss);
    model.on('error', () => {});

    await this.options.declare(publisher);
    await consumer.prefetch(this.options.prefetch);
    if (session.lost) {
      throw new Error('RabbitMQ channel lost during setup');
    }
    this.session = session;
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach(w => w.resolve(session));
    await this.options.onSession(session);
  }

  private rejectWaiters(error: Error) {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach(w => w.reject(error));
  }
}
