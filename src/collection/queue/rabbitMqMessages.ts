/**
 * How collect jobs travel over RabbitMQ: the message body (a job as JSON)
 * and the headers the driver sets. Kept apart from the connection and the
 * delivery logic so the wire format is read and changed in one place.
 */
import { ConsumeMessage } from 'amqplib';
import { CollectJob } from './JobQueue';

/** Header carrying the attempt count of a parked or retried job. */
export const ATTEMPT_HEADER = 'x-backpack-attempt';
/** Header saying why a job was parked: `handler` or `max-attempts`. */
export const PARK_REASON_HEADER = 'x-backpack-park-reason';

/**
 * Header of a delayed job that must not be handled before this time (epoch
 * milliseconds): set when its delay is longer than the longest TTL queue.
 */
export const NOT_BEFORE_HEADER = 'x-backpack-not-before';

/** A message to publish to one queue. */
export interface Outgoing {
  queue: string;
  job: CollectJob;
  headers?: Record<string, unknown>;
  /** Raw body for messages that could not be decoded. */
  raw?: Buffer;
}

/** The body of a job's message: only the job's own fields, as JSON. */
export function encodeJob(job: CollectJob): Buffer {
  const { fileRef, key, runId, attempt, deferrals } = job;
  return Buffer.from(
    JSON.stringify({ fileRef, key, runId, attempt, deferrals }),
  );
}

/** The job a message carries; throws when the body is not one. */
export function decodeJob(message: ConsumeMessage): CollectJob {
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
