/**
 * The queues of the RabbitMQ driver and which one a message goes to: the
 * main queue, one TTL queue per retry delay that dead-letters back to it,
 * and the parking queue. Declared on every (re)connection.
 */
import { Channel } from 'amqplib';
import { CollectJob } from './JobQueue';
import { ATTEMPT_HEADER, NOT_BEFORE_HEADER, Outgoing, PARK_REASON_HEADER } from './rabbitMqMessages';

/** Message counts of the driver's queues. */
export interface TopologyDepth {
  ready: number;
  delayed: number;
  parked: number;
}

/** The main, retry and parking queues named after one main queue. */
export class RabbitMqTopology {
  constructor(
    /** Name of the main queue. */
    readonly queue: string,
    private readonly retryDelaysMs: number[],
  ) {}

  /** Name of the TTL queue that holds retries delayed by `ms`. */
  retryQueueName(ms: number): string {
    return `${this.queue}.retry.${ms}`;
  }

  /** Name of the queue that holds parked jobs. */
  get parkedQueueName(): string {
    return `${this.queue}.parked`;
  }

  /** Declares every queue (durable); idempotent. */
  async declare(channel: Channel): Promise<void> {
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

  /** The broker's message counts of the main, retry and parking queues. */
  async depth(channel: Channel): Promise<TopologyDepth> {
    const main = await channel.checkQueue(this.queue);
    const parked = await channel.checkQueue(this.parkedQueueName);
    let delayed = 0;
    for (const ms of new Set(this.retryDelaysMs)) {
      delayed += (await channel.checkQueue(this.retryQueueName(ms))).messageCount;
    }
    return { ready: main.messageCount, delayed, parked: parked.messageCount };
  }

  /** A new job for the main queue. */
  fresh(job: CollectJob): Outgoing {
    return { queue: this.queue, job, headers: { [ATTEMPT_HEADER]: job.attempt } };
  }

  /**
   * The copy of a job that waits `delayMs`: in the smallest TTL queue at
   * least that long, or in the longest with the time it may run again.
   */
  delayed(job: CollectJob, delayMs: number): Outgoing {
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

  /** The copy of a job that is parked, and why. */
  parked(job: CollectJob, reason: string): Outgoing {
    return {
      queue: this.parkedQueueName,
      job,
      headers: { [ATTEMPT_HEADER]: job.attempt, [PARK_REASON_HEADER]: reason },
    };
  }

  /** A message that is no job at all, parked as it came. */
  parkedRaw(raw: Buffer): Outgoing {
    return {
      queue: this.parkedQueueName,
      job: { fileRef: -1, key: '', attempt: 0 },
      raw,
      headers: { [PARK_REASON_HEADER]: 'undecodable' },
    };
  }
}
