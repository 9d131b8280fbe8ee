import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { RunVisibility } from '../database/artifactScope';
import { BackpackStore } from '../database/BackpackStore';
import { MirrorRun, MirrorRunStatus, MirrorRunTrigger } from '../types';
import { discoveryErrorSummary, RunWatcher } from './RunWatcher';

/** What a run's walk found; see `RunWalkOutcome` of the mirror runner. */
export interface RunWalk {
  failedArtifacts: Array<{ key: string; message: string }>;
  everyRootFailed: boolean;
}

/** Executes the walk and the enqueueing of one claimed run. */
export interface MirrorRunExecutor {
  execute(run: MirrorRun, signal: AbortSignal): Promise<RunWalk | void>;
}

const HEARTBEAT_MS = 15_000;
/** A running run whose replica sent no heartbeat for this long is taken over. */
const STALE_RUN_MS = 5 * 60_000;

/**
 * What the routes use of {@link RunService}: starting and reading runs.
 * An interface of its own so that router tests can pass a fake.
 */
export interface MirrorRunService {
  /**
   * Records a queued run and starts it in the background on this replica;
   * resolves with the run as created, before the walk finishes.
   */
  startRun(request: {
    trigger: MirrorRunTrigger;
    scope?: { processor: string; id: string };
    requestedBy?: string;
  }): Promise<MirrorRun>;
  /**
   * A run; a NotFoundError when it is missing or, given `visible`, not one
   * the caller may see (the same error for both).
   */
  getRun(id: string, visible?: RunVisibility): Promise<MirrorRun>;
  /** Newest first; only the runs `visible` lets through when given. */
  listRuns(query: {
    status?: MirrorRunStatus;
    limit: number;
    offset: number;
    visible?: RunVisibility;
  }): Promise<{ items: MirrorRun[]; total: number }>;
}

/**
 * Starts mirror runs and keeps them honest across replicas: every run is a
 * row first, and exactly one replica claims it (an atomic status change), so
 * two replicas never run the same run twice. After its walk a run is
 * `collecting` until its files are collected or parked; the
 * {@link RunWatcher} then settles it as `succeeded` or `partial`.
 */
export class RunService implements MirrorRunService {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly options: {
      store: BackpackStore;
      executor: MirrorRunExecutor;
      logger: LoggerService;
      workerId: string;
      /** Settles collecting runs; without one, runs are only walked (tests of the walk). */
      watcher?: RunWatcher;
    },
  ) {}

  async startRun(request: {
    trigger: MirrorRunTrigger;
    scope?: { processor: string; id: string };
    requestedBy?: string;
  }): Promise<MirrorRun> {
    const run = await this.options.store.createRun(request);
    this.launch(run.id);
    return run;
  }

  /**
   * The scheduled task: one full run, awaited so the scheduler's global lock
   * covers it, plus runs left queued or abandoned by a replica that stopped.
   * The scheduler's signal (its timeout) aborts the run, so that it never
   * outlives the lock and overlaps the next scheduled run.
   */
  async runScheduled(signal?: AbortSignal): Promise<void> {
    await this.resumeAbandoned();
    const run = await this.options.store.createRun({ trigger: 'schedule' });
    await this.launch(run.id, signal);
  }

  /** Picks up runs that were queued or whose replica stopped mid-run. */
  async resumeAbandoned(): Promise<void> {
    const runs = await this.options.store.listRunnableRuns(STALE_RUN_MS);
    for (const run of runs) {
      if (run.status === 'running') {
        // The replica that claimed it is gone; fail it so it can be told
        // apart, and let its files be swept into the next run.
        await this.options.store.finishRun(run.id, {
          status: 'failed',
          error: 'The replica running it stopped sending heartbeats',
        });
      } else {
        this.launch(run.id);
      }
    }
  }

  async getRun(id: string, visible?: RunVisibility): Promise<MirrorRun> {
    const run = await this.options.store.getRun(id, visible);
    if (!run) throw new NotFoundError(`No mirror run with id '${id}'`);
    return run;
  }

  listRuns(query: {
    status?: MirrorRunStatus;
    limit: number;
    offset: number;
    visible?: RunVisibility;
  }) {
    return this.options.store.listRuns(query);
  }

  /** Waits for the runs this replica executes; for tests and shutdown. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Aborts runs in flight and stops watching collecting runs, e.g. at shutdown. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.drain();
    await this.options.watcher?.stop();
  }

  private launch(id: string, signal?: AbortSignal): Promise<void> {
    const existing = this.inFlight.get(id);
    if (existing) return existing;
    const promise = this.execute(id, signal).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, promise);
    return promise;
  }

  private async execute(id: string, signal?: AbortSignal): Promise<void> {
    const { store, executor, logger, workerId } = this.options;
    if (!(await store.claimRun(id, workerId))) return;
    const run = (await store.getRun(id))!;
    const heartbeat = setInterval(() => {
      store.heartbeatRun(id).catch(error =>
        logger.warn(`Heartbeat of run ${id} failed: ${error}`),
      );
    }, HEARTBEAT_MS);
    try {
      const walk = await executor.execute(
        run,
        signal ? AbortSignal.any([this.abort.signal, signal]) : this.abort.signal,
      );
      const failed = walk?.failedArtifacts ?? [];
      const error = discoveryErrorSummary(failed);
      if (walk?.everyRootFailed) {
        await store.finishRun(id, { status: 'failed', error, artifactsFailed: failed.length });
      } else {
        await store.markRunCollecting(id, { artifactsFailed: failed.length, error });
        this.options.watcher?.watch(id);
      }
    } catch (error) {
      logger.error(`Mirror run ${id} failed: ${error}`);
      await store.finishRun(id, {
        status: 'failed',
        error: (error as Error)?.message ?? String(error),
      });
    } finally {
      clearInterval(heartbeat);
    }
  }
}
