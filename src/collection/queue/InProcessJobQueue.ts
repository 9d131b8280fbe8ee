import { LoggerService } from '@backstage/backend-plugin-api';
import {
  CollectJob,
  JobHandler,
  JobOutcome,
  JobQueue,
  QueueDepth,
} from './JobQueue';

/** Options of {@link InProcessJobQueue}. */
export interface InProcessJobQueueOptions {
  /** Handlers running at once. Default 4. */
  concurrency?: number;
  /** A job whose handler asked to retry this many times in total is parked. Default 5. */
  maxAttempts?: number;
  /** Delay before the first retry; doubles with every further attempt. Default 1000. */
  retryBaseDelayMs?: number;
  /** Upper bound of the retry delay. Default 60000. */
  retryMaxDelayMs?: number;
  logger?: LoggerService;
}

/**
 * The embedded job queue: jobs live in this process's memory only.
 *
 * It keeps nothing durable on purpose. The database is the source of truth:
 * a file stays uncollected until its handler recorded the outcome, and the
 * collector re-enqueues uncollected files that are not in flight at startup
 * and on every run, so jobs lost with the process are queued again.
 *
 * Jobs are deduplicated by `job.key` while one with the same key is ready,
 * waiting for a retry or in flight. Parked jobs are kept in memory where
 * `depth()` and `parkedJobs()` see them; enqueueing a parked key again
 * takes it out of the parked list.
 */
export class InProcessJobQueue implements JobQueue {
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly logger?: LoggerService;

  private readonly ready: CollectJob[] = [];
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly parked = new Map<string, CollectJob>();
  /** Keys that are ready, delayed or in flight. */
  private readonly active = new Set<string>();
  private handler?: JobHandler;
  private stopped = false;

  constructor(options: InProcessJobQueueOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.retryBaseDelayMs = Math.max(0, options.retryBaseDelayMs ?? 1000);
    this.retryMaxDelayMs = Math.max(
      this.retryBaseDelayMs,
      options.retryMaxDelayMs ?? 60_000,
    );
    this.logger = options.logger;
  }

  async enqueue(jobs: CollectJob[]): Promise<void> {
    if (this.stopped) {
      throw new Error('The job queue is stopped');
    }
    for (const job of jobs) {
      if (this.active.has(job.key)) {
        continue;
      }
      this.parked.delete(job.key);
      this.active.add(job.key);
      this.ready.push({ ...job });
    }
    this.pump();
  }

  async consume(handler: JobHandler): Promise<void> {
    if (this.handler) {
      throw new Error('The job queue already has a consumer');
    }
    this.handler = handler;
    this.pump();
  }

  async depth(): Promise<QueueDepth> {
    return {
      ready: this.ready.length,
      inFlight: this.inFlight.size,
      delayed: this.delayed.size,
      parked: this.parked.size,
    };
  }

  /** The parked jobs, oldest first. */
  parkedJobs(): CollectJob[] {
    return [...this.parked.values()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.delayed.values()) {
      clearTimeout(timer);
    }
    this.delayed.clear();
    while (this.inFlight.size > 0) {
      await Promise.all(this.inFlight.values());
    }
  }

  /** Starts handlers for ready jobs up to the concurrency limit. */
  private pump() {
    const handler = this.handler;
    if (!handler) {
      return;
    }
    while (
      !this.stopped &&
      this.inFlight.size < this.concurrency &&
      this.ready.length > 0
    ) {
      const job = this.ready.shift()!;
      const run = this.run(handler, job).finally(() => {
        this.inFlight.delete(job.key);
        this.pump();
      });
      this.inFlight.set(job.key, run);
    }
  }

  private async run(handler: JobHandler, job: CollectJob): Promise<void> {
    let outcome: JobOutcome;
    try {
      outcome = await handler({ ...job });
    } catch (error) {
      // A throwing handler did not record an outcome; try again later.
      this.logger?.warn(`Collect job ${job.key} failed: ${error}`);
      outcome = 'retry';
    }
    if (outcome === 'retry' && job.attempt >= this.maxAttempts) {
      outcome = 'park';
    }
    switch (outcome) {
      case 'retry':
        this.scheduleRetry(job);
        break;
      case 'park':
        this.active.delete(job.key);
        this.parked.set(job.key, job);
        break;
      default:
        this.active.delete(job.key);
    }
  }

  private scheduleRetry(job: CollectJob) {
    if (this.stopped) {
      this.active.delete(job.key);
      return;
    }
    const delay = Math.min(
      this.retryMaxDelayMs,
      this.retryBaseDelayMs * 2 ** (job.attempt - 1),
    );
    const timer = setTimeout(() => {
      this.delayed.delete(job.key);
      this.ready.push({ ...job, attempt: job.attempt + 1 });
      this.pump();
    }, delay);
    // A pending retry must not keep the process alive on its own.
    timer.unref();
    this.delayed.set(job.key, timer);
  }
}
