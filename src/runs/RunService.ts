import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { RunVisibility } from '../database/artifactScope';
import { BackpackStores } from '../database/createBackpackStores';
import { BackpackEvents } from '../events/BackpackEvents';
import { LeasedJobs } from '../lib/LeasedJobs';
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

/** A running run whose replica sent no heartbeat for this long is failed. */
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
  private readonly jobs: LeasedJobs;

  constructor(
    private readonly options: {
      stores: Pick<BackpackStores, 'runs'>;
      executor: MirrorRunExecutor;
      logger: LoggerService;
      workerId: string;
      /** Settles collecting runs; without one, runs are only walked (tests of the walk). */
      watcher?: RunWatcher;
      /** Told when a run starts, and when it fails here (the watcher tells of the others). */
      events?: BackpackEvents;
    },
  ) {
    const { runs } = options.stores;
    this.jobs = new LeasedJobs({
      name: 'Mirror run',
      logger: options.logger,
      heartbeat: id => runs.heartbeatRun(id),
      // Only a run this replica holds: one it could not claim stays queued
      // for the next replica to resume, one another replica claimed is theirs.
      fail: async (id, error) => {
        if (await runs.finishRun(id, { status: 'failed', error: error.message, heldBy: options.workerId })) {
          options.events?.runFinished(id);
        }
      },
    });
  }

  async startRun(request: {
    trigger: MirrorRunTrigger;
    scope?: { processor: string; id: string };
    requestedBy?: string;
  }): Promise<MirrorRun> {
    const run = await this.options.stores.runs.createRun(request);
    // Not awaited: the caller gets the queued run. The launch is kept until
    // it settles (see drain) and records its own failure.
    void this.launch(run.id);
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
    const run = await this.options.stores.runs.createRun({ trigger: 'schedule' });
    await this.launch(run.id, signal);
  }

  /** Picks up runs that were queued or whose replica stopped mid-run. */
  async resumeAbandoned(): Promise<void> {
    const { runs } = this.options.stores;
    // A run whose replica is gone is failed, so it can be told apart; its
    // files are swept into the next run.
    for (const id of await runs.failAbandonedRuns(STALE_RUN_MS)) {
      this.options.logger.warn(`Mirror run ${id} was abandoned by the replica running it`);
      this.options.events?.runFinished(id);
    }
    for (const run of await runs.listQueuedRuns()) void this.launch(run.id);
  }

  async getRun(id: string, visible?: RunVisibility): Promise<MirrorRun> {
    const run = await this.options.stores.runs.getRun(id, visible);
    if (!run) throw new NotFoundError(`No mirror run with id '${id}'`);
    return run;
  }

  listRuns(query: {
    status?: MirrorRunStatus;
    limit: number;
    offset: number;
    visible?: RunVisibility;
  }) {
    return this.options.stores.runs.listRuns(query);
  }

  /** Waits for the runs this replica executes; for tests and shutdown. */
  drain(): Promise<void> {
    return this.jobs.drain();
  }

  /** Aborts runs in flight and stops watching collecting runs, e.g. at shutdown. */
  async stop(): Promise<void> {
    await this.jobs.stop();
    await this.options.watcher?.stop();
  }

  /** Claims and walks the run on this replica; see {@link LeasedJobs.launch}. */
  private launch(id: string, signal?: AbortSignal): Promise<void> {
    return this.jobs.launch(id, walkSignal => this.execute(id, walkSignal), signal);
  }

  private async execute(id: string, signal: AbortSignal): Promise<void> {
    const { stores, executor, workerId } = this.options;
    const { runs } = stores;
    if (!(await runs.claimRun(id, workerId))) return;
    const run = (await runs.getRun(id))!;
    this.options.events?.runStarted(run);
    const walk = await executor.execute(run, signal);
    const failed = walk?.failedArtifacts ?? [];
    const error = discoveryErrorSummary(failed);
    if (walk?.everyRootFailed) {
      await runs.finishRun(id, { status: 'failed', error, artifactsFailed: failed.length });
      this.options.events?.runFinished(id);
    } else {
      await runs.markRunCollecting(id, { artifactsFailed: failed.length, error });
      this.options.watcher?.watch(id);
    }
  }
}
