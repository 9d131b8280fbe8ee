import { LoggerService } from '@backstage/backend-plugin-api';
import {
  CollectJob,
  JobHandler,
  JobOutcome,
  JobQueue,
  QueueDepth,
} from './JobQueue';
import { normalizeRetryDelays, planOutcome } from './retrySchedule';

/** Options of {@link InProcessJobQueue}. */
export interface InProcessJobQueueOptions {
  /** Handlers running at once. Default 4. */
  concurrency?: number;
  /** A job whose handler asked to retry this many times in total is parked. Default 5. */
  maxAttempts?: number;
  /**
   * Delay before retry n is `retryDelaysMs[n - 1]`, the last one repeating;
   * a handler may ask for a longer one. Default `[1000, 10000, 60000]`.
   */
  retryDelaysMs?: number[];
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
  private readonly retryDelaysMs: number[];
  private readonly logger?: LoggerService;

  private readonly ready: CollectJob[] = [];
  private readonly delayed = new Map<
    string,
    { timer: NodeJS.Timeout; job: CollectJob; delayMs: number }
  >();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly parked = new Map<string, CollectJob>();
  /** Keys that are ready, delayed or in flight. */
  private readonly active = new Set<string>();
  private handler?: JobHandler;
  private stopped = false;

  constructor(options: InProcessJobQueueOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.retryDelaysMs = normalizeRetryDelays(options.retryDelaysMs);
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

  /** Jobs waiting for a retry or a deferral: the next delivery and its delay. */
  delayedJobs(): Array<{ job: CollectJob; delayMs: number }> {
    return [...this.delayed.values()].map(({ job, delayMs }) => ({
      job: { ...job },
      delayMs,
    }));
  }

  /** The parked jobs, oldest first. */
  parkedJobs(): CollectJob[] {
    return [...this.parked.values()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.delayed.values()) {
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
    const action = planOutcome(job, outcome, {
      maxAttempts: this.maxAttempts,
      retryDelaysMs: this.retryDelaysMs,
    });
    switch (action.kind) {
      case 'delay':
        this.schedule(action.job, action.delayMs);
        break;
      case 'park':
        this.active.delete(job.key);
        this.parked.set(job.key, action.job);
        break;
      default:
        this.active.delete(job.key);
    }
  }

  /** Makes `next` ready after `delayMs`; the key stays active meanwhile. */
  private schedule(next: CollectJob, delayMs: number) {
    if (this.stopped) {
      this.active.delete(next.key);
      return;
    }
    const timer = setTimeout(() => {
      this.delayed.delete(next.key);
      this.ready.push(next);
      this.pump();
    }, delayMs);
    // A pending retry must not keep the process alive on its own.
    timer.unref();
    this.delayed.set(next.key, { timer, job: next, delayMs });
  }
}
