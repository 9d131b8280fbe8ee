/**
 * The consuming side of the RabbitMQ driver: hands each delivery to the
 * handler and acknowledges it only once its outcome is settled (a retry or
 * parked copy confirmed by the broker first). Kept apart from the
 * connection so the at-least-once rules read in one place.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { ConsumeMessage } from 'amqplib';
import { CollectJob, JobHandler, JobOutcome } from './JobQueue';
import { RabbitMqConnection, RabbitMqSession } from './RabbitMqConnection';
import { decodeJob, NOT_BEFORE_HEADER, Outgoing } from './rabbitMqMessages';
import { RabbitMqTopology } from './RabbitMqTopology';
import { planOutcome } from './retrySchedule';

/** Options of {@link RabbitMqDelivery}. */
export interface RabbitMqDeliveryOptions {
  connection: RabbitMqConnection;
  topology: RabbitMqTopology;
  handler: JobHandler;
  maxAttempts: number;
  retryDelaysMs: number[];
  logger?: LoggerService;
}

/** Delivers the main queue's messages to one handler, on every session. */
export class RabbitMqDelivery {
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;

  constructor(private readonly options: RabbitMqDeliveryOptions) {}

  /** Handlers running in this process. */
  get running(): number {
    return this.inFlight.size;
  }

  /** Starts consuming on a session, once per session. */
  async subscribe(session: RabbitMqSession): Promise<void> {
    if (session.subscribed || session.lost || this.stopping) {
      return;
    }
    session.subscribed = true;
    const { consumerTag } = await session.consumer.consume(
      this.options.topology.queue,
      message => this.onMessage(session, message),
      { noAck: false },
    );
    session.consumerTag = consumerTag;
  }

  /** Cancels the consumer and waits for the handlers in flight. */
  async stop(): Promise<void> {
    this.stopping = true;
    const session = this.options.connection.current;
    if (session?.consumerTag && !session.lost) {
      await session.consumer.cancel(session.consumerTag).catch(() => {});
    }
    while (this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
    }
  }

  private onMessage(session: RabbitMqSession, message: ConsumeMessage | null) {
    const { logger, connection, topology } = this.options;
    if (!message) {
      // The broker cancelled the consumer, e.g. because the queue was
      // deleted; reconnecting declares it again and resubscribes.
      logger?.warn(`RabbitMQ cancelled the consumer of ${topology.queue}`);
      connection.lose(session);
      return;
    }
    if (this.stopping) {
      // Arrived after stop() cancelled the consumer: give it to another one.
      this.settle(session, () => session.consumer.nack(message, false, true));
      return;
    }
    const work = this.handle(session, message).catch(error =>
      logger?.error(`RabbitMQ job handling failed: ${error}`),
    );
    this.inFlight.add(work);
    work.finally(() => this.inFlight.delete(work));
  }

  private async handle(session: RabbitMqSession, message: ConsumeMessage) {
    const { logger, topology } = this.options;
    let job: CollectJob;
    try {
      job = decodeJob(message);
    } catch (error) {
      logger?.error(
        `Parking undecodable message ${message.properties.messageId}: ${error}`,
      );
      await this.forward(session, message, topology.parkedRaw(message.content));
      return;
    }

    // A delay longer than the longest TTL queue passes through it again.
    const notBefore = Number(message.properties.headers?.[NOT_BEFORE_HEADER]);
    if (Number.isFinite(notBefore) && notBefore > Date.now()) {
      await this.forward(session, message, topology.delayed(job, notBefore - Date.now()));
      return;
    }

    let outcome: JobOutcome;
    try {
      outcome = await this.options.handler(job);
    } catch (error) {
      // A throwing handler did not record an outcome; try again later.
      logger?.warn(`Collect job ${job.key} failed: ${error}`);
      outcome = 'retry';
    }

    if (session.lost) {
      // Unacked messages of a lost channel go back to the queue.
      logger?.debug(
        `Channel lost while handling ${job.key}; the broker will deliver it again`,
      );
      return;
    }

    const action = planOutcome(job, outcome, {
      maxAttempts: this.options.maxAttempts,
      retryDelaysMs: this.options.retryDelaysMs,
    });
    if (action.kind === 'delay') {
      await this.forward(session, message, topology.delayed(action.job, action.delayMs));
    } else if (action.kind === 'park') {
      await this.forward(session, message, topology.parked(action.job, action.reason));
    } else {
      this.settle(session, () => session.consumer.ack(message));
    }
  }

  /** Republishes a copy, then acknowledges the original once the copy is confirmed. */
  private async forward(
    session: RabbitMqSession,
    message: ConsumeMessage,
    copy: Outgoing,
  ) {
    const [confirmed] = await this.options.connection.publish(session, [copy]);
    if (confirmed) {
      this.settle(session, () => session.consumer.ack(message));
    } else {
      // Requeue the original so it is not held until the channel closes.
      this.settle(session, () => session.consumer.nack(message, false, true));
    }
  }

  /** Acks or nacks unless the channel is gone, in which case the broker redelivers. */
  private settle(session: RabbitMqSession, action: () => void) {
    if (session.lost) {
      return;
    }
    try {
      action();
    } catch (error) {
      this.options.logger?.debug(`Could not settle a message: ${error}`);
    }
  }
}
