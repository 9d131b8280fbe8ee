import { CollectJob, JobOutcome } from './JobQueue';

/** The documented default of `backpack.queue.retryDelaysMs`. */
export const DEFAULT_RETRY_DELAYS_MS = [1000, 10_000, 60_000];

/**
 * The retry delays as drivers use them: whole non-negative milliseconds,
 * the default when none are given.
 */
export function normalizeRetryDelays(delays?: number[]): number[] {
  const given = delays?.filter(ms => Number.isFinite(ms)) ?? [];
  return (given.length ? given : DEFAULT_RETRY_DELAYS_MS).map(ms =>
    Math.max(0, Math.round(ms)),
  );
}

/** Delay before retry `n` (the retry after attempt `n`): `delays[n - 1]`, the last one repeating. */
export function retryDelayOf(n: number, delays: number[]): number {
  return delays[Math.min(Math.max(1, n), delays.length) - 1];
}

/** What a driver does with a job once its handler answered. */
export type QueueAction =
  | { kind: 'ack' }
  | { kind: 'park'; reason: 'handler' | 'max-attempts'; job: CollectJob }
  /** Deliver `job` (the next delivery, already counted) after `delayMs`. */
  | { kind: 'delay'; job: CollectJob; delayMs: number };

/**
 * Turns a handler's outcome into the driver's action, the same way in every
 * driver: a retry waits the configured delay of that retry, or longer when
 * the handler asks for a minimum (Retry-After), and parks after
 * `maxAttempts` attempts; a deferral waits without counting an attempt.
 */
export function planOutcome(
  job: CollectJob,
  outcome: JobOutcome,
  options: { maxAttempts: number; retryDelaysMs: number[] },
): QueueAction {
  if (outcome === 'done') return { kind: 'ack' };
  if (outcome === 'park') return { kind: 'park', reason: 'handler', job };
  if (typeof outcome === 'object' && 'defer' in outcome) {
    return {
      kind: 'delay',
      job: { ...job, deferrals: (job.deferrals ?? 0) + 1 },
      delayMs: Math.max(0, Math.round(outcome.defer.delayMs)),
    };
  }
  if (job.attempt >= options.maxAttempts) {
    return { kind: 'park', reason: 'max-attempts', job };
  }
  const minDelayMs =
    typeof outcome === 'object' ? Math.max(0, outcome.retry.minDelayMs) : 0;
  const { deferrals: _, ...rest } = job;
  return {
    kind: 'delay',
    job: { ...rest, attempt: job.attempt + 1 },
    delayMs: Math.round(
      Math.max(retryDelayOf(job.attempt, options.retryDelaysMs), minDelayMs),
    ),
  };
}
