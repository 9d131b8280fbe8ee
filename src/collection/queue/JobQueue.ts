/**
 * A request to collect one file. Jobs are idempotent: the file's database
 * row, not the message, is the source of truth.
 */
export interface CollectJob {
  /** The file's row in `artifact_files`. */
  fileRef: number;
  /** Idempotency key of the file (`file-<ref>`); duplicates may be dropped. */
  key: string;
  /** The mirror run that queued it, whose counters it moves. */
  runId?: string;
  /** Delivery attempt, starting at 1; drivers increase it on retry. */
  attempt: number;
  /**
   * How often the job was deferred (see {@link JobOutcome}) since its last
   * attempt; drivers increase it on every deferral and reset it on retry.
   */
  deferrals?: number;
}

/**
 * What the handler decided about a job. Drivers acknowledge the message only
 * after the handler returned, i.e. after the outcome is in the database.
 *
 * - `done`: collected, or nothing to do.
 * - `retry`: an attempt failed; deliver again after the configured delay of
 *   that retry (`retryDelaysMs[attempt - 1]`, the last one repeating), or
 *   park once `maxAttempts` attempts failed. `{ retry: { minDelayMs } }`
 *   asks for at least that delay, e.g. an upstream's Retry-After.
 * - `park`: give up; keep the job where an operator can see it.
 * - `{ defer: { delayMs } }`: the job could not be tried now through no
 *   fault of its own (its file is leased by another worker, its host is
 *   saturated, this process is stopping); deliver it again after at least
 *   `delayMs` with the same attempt number. Never parks.
 */
export type JobOutcome =
  | 'done'
  | 'retry'
  | 'park'
  | { retry: { minDelayMs: number } }
  | { defer: { delayMs: number } };

export type JobHandler = (job: CollectJob) => Promise<JobOutcome>;

/** Queue depth as the driver sees it. */
export interface QueueDepth {
  ready: number;
  inFlight: number;
  delayed: number;
  parked: number;
}

/**
 * Transport for collect jobs: RabbitMQ in production, an in-process driver
 * as the embedded default. Drivers know nothing of files or storage.
 */
export interface JobQueue {
  /** Publishes jobs; resolves once the transport has accepted them (publisher confirms). */
  enqueue(jobs: CollectJob[]): Promise<void>;
  /** Starts delivering jobs to the handler with the driver's concurrency. */
  consume(handler: JobHandler): Promise<void>;
  depth(): Promise<QueueDepth>;
  /** Stops consuming, waits for handlers in flight, closes connections. */
  stop(): Promise<void>;
}
