import { LoggerService } from '@backstage/backend-plugin-api';
import { asError } from './errorMessage';

/** Between two heartbeats of a job; well within the stale windows the stores apply. */
const DEFAULT_HEARTBEAT_MS = 15_000;

/** Options of {@link LeasedJobs}. */
export interface LeasedJobsOptions {
  /** What a job is called in logs, e.g. `Mirror run`. */
  name: string;
  logger: LoggerService;
  /** Marks the job's row as alive, so that no other replica takes it as abandoned. */
  heartbeat(id: string): Promise<void>;
  /** Records on the job's row that it failed, when its work threw. */
  fail(id: string, error: Error): Promise<void>;
  /** Default 15 s. */
  heartbeatMs?: number;
}

/**
 * The replica's side of leased background jobs (mirror runs, exports):
 * the rows are claimed, heartbeated, finished and found abandoned by the
 * stores (`database/operations/leasedJobs.ts`); this runs a job's work on
 * this replica, heartbeats its row from launch until the work settles,
 * records a failure on the row, aborts the work on {@link LeasedJobs.stop}
 * and lets callers wait for everything launched. No launched promise
 * floats: each is kept until it settles, and none rejects.
 */
export class LeasedJobs {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();

  constructor(private readonly options: LeasedJobsOptions) {}

  /**
   * Runs `work` for job `id` unless it is in flight here already (then its
   * promise is returned) or {@link LeasedJobs.stop} was called (then
   * nothing runs and the row stays for the next replica). The work gets a
   * signal that aborts on stop, and on `signal` when given; it claims the
   * job itself, so that it may wait for a slot first. The promise resolves
   * when the work settled and a failure was recorded; it never rejects.
   */
  launch(id: string, work: (signal: AbortSignal) => Promise<void>, signal?: AbortSignal): Promise<void> {
    const existing = this.inFlight.get(id);
    if (existing) return existing;
    if (this.abort.signal.aborted) return Promise.resolve();
    const combined = signal ? AbortSignal.any([this.abort.signal, signal]) : this.abort.signal;
    const promise = this.run(id, work, combined).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, promise);
    return promise;
  }

  /** Whether {@link LeasedJobs.stop} was called. */
  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** Waits for every job launched here, also those launched meanwhile. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()]);
  }

  /** Aborts the jobs in flight and waits for them, e.g. at shutdown. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.drain();
  }

  private async run(id: string, work: (signal: AbortSignal) => Promise<void>, signal: AbortSignal) {
    const { name, logger } = this.options;
    const heartbeat = setInterval(() => {
      this.options.heartbeat(id).catch(error => logger.warn(`Heartbeat of ${name} ${id} failed: ${error}`));
    }, this.options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    try {
      await work(signal);
    } catch (error) {
      logger.error(`${name} ${id} failed: ${error}`);
      const failure = asError(error);
      await this.options
        .fail(id, failure)
        .catch(e => logger.error(`Could not record the failure of ${name} ${id}: ${e}`));
    } finally {
      clearInterval(heartbeat);
    }
  }
}
