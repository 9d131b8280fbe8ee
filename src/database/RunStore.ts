import { MirrorRun, MirrorRunCounters, MirrorRunStatus, MirrorRunTrigger } from '../types';
import { RunVisibility } from './artifactScope';
import { Page } from './types';

/** A run as it is requested. */
export interface NewRun {
  trigger: MirrorRunTrigger;
  scope?: { processor: string; id: string };
  requestedBy?: string;
}

/** How a run ends. */
export interface RunOutcome {
  status: MirrorRunStatus;
  error?: string;
  artifactsFailed?: number;
  filesParked?: number;
  /** Only if the run is in this status still; by default any status of a run not finished. */
  from?: MirrorRunStatus;
  /** Only if this worker holds the run (claimed it or took it over). */
  heldBy?: string;
}

/**
 * Mirror runs: a leased background job (see `operations/leasedJobs.ts`)
 * that one replica claims and heartbeats while it walks, and one replica's
 * watcher heartbeats while the run's files are collected; plus the counts
 * over a run's files that settle it. Implementations hide knex; every
 * method is safe to call from several replicas at once.
 */
export interface RunStore {
  createRun(run: NewRun): Promise<MirrorRun>;
  /** Atomically moves a queued run to running for one replica; false if another has it. */
  claimRun(id: string, worker: string): Promise<boolean>;
  /** Marks a run that is not finished as alive. */
  heartbeatRun(id: string): Promise<void>;
  addRunCounters(id: string, delta: Partial<MirrorRunCounters>): Promise<void>;
  /**
   * Records a run's outcome, once: a finished run stays as it is. Returns
   * whether it was written.
   */
  finishRun(id: string, outcome: RunOutcome): Promise<boolean>;
  /** A running run whose walk is done waits for its files; false if it was not running. */
  markRunCollecting(id: string, outcome: { artifactsFailed: number; error?: string }): Promise<boolean>;
  /** The runs, of those asked about, with a file neither collected nor parked (an indexed probe per run). */
  runsWithOutstandingFiles(runIds: string[]): Promise<Set<string>>;
  countParkedFiles(runId: string): Promise<number>;
  /**
   * Takes over collecting runs whose watcher sent no heartbeat for
   * `staleAfterMs` or that `isDead` says is gone; returns their ids.
   */
  takeOverCollectingRuns(
    worker: string,
    options: { staleAfterMs: number; isDead?: (worker: string) => boolean },
  ): Promise<string[]>;
  /** Hands the collecting runs of a stopping watcher over to the next one at once. */
  releaseCollectingRuns(worker: string): Promise<number>;
  /**
   * Fails running runs whose replica sent no heartbeat for `staleAfterMs`,
   * each on exactly one caller; returns their ids.
   */
  failAbandonedRuns(staleAfterMs: number): Promise<string[]>;
  /** Queued runs, oldest first. */
  listQueuedRuns(): Promise<MirrorRun[]>;
  /** A run; undefined when missing or, given `visible`, not visible. */
  getRun(id: string, visible?: RunVisibility): Promise<MirrorRun | undefined>;
  /** Newest first; only the runs `visible` lets through when given. */
  listRuns(query: {
    status?: MirrorRunStatus;
    limit: number;
    offset: number;
    visible?: RunVisibility;
  }): Promise<Page<MirrorRun>>;
}
