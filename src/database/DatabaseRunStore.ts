import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import { MirrorRun, MirrorRunCounters, MirrorRunStatus } from '../types';
import { applyRunVisibility, RunVisibility } from './artifactScope';
import {
  claimJob,
  failAbandonedJobs,
  findAbandonedJobs,
  finishJob,
  heartbeatJob,
  LeasedJobTable,
  releaseJobs,
  takeAbandonedJob,
} from './operations/leasedJobs';
import {
  collectedSoFar,
  countCollectedFiles,
  countParkedFiles,
  forgetCollectedSoFar,
  runsWithOutstandingFiles,
} from './operations/runSettlement';
import { now } from './rows/coerce';
import { LISTED_RUN_COLUMNS, RUN_COUNTER_COLUMNS, RunRow, toRun } from './rows/runs';
import { NewRun, RunOutcome, RunStore } from './RunStore';
import { PageTotals, paginate } from './paginate';
import { Page } from './types';

/** Runs are leased jobs; a collecting run is held by the watcher that settles it. */
const RUNS: LeasedJobTable = { name: 'mirror_runs', unfinished: ['queued', 'running', 'collecting'] };

/** The knex implementation of {@link RunStore}, for SQLite and PostgreSQL alike. */
export class DatabaseRunStore implements RunStore {
  /** Totals of run lists; writes that add runs or change their status go through `changing`. */
  private readonly totals = new PageTotals();

  constructor(private readonly db: Knex) {}

  async createRun(run: NewRun): Promise<MirrorRun> {
    const id = randomUUID();
    await this.totals.changing(this.db<RunRow>('mirror_runs').insert({
      id,
      trigger: run.trigger,
      scope_processor: run.scope?.processor ?? null,
      scope_id: run.scope?.id ?? null,
      requested_by: run.requestedBy ?? null,
      status: 'queued',
      created_at: now(),
    }));
    return (await this.getRun(id))!;
  }

  claimRun(id: string, worker: string): Promise<boolean> {
    return this.totals.changing(claimJob(this.db, RUNS, id, worker));
  }

  heartbeatRun(id: string): Promise<void> {
    return heartbeatJob(this.db, RUNS, id);
  }

  async addRunCounters(id: string, delta: Partial<MirrorRunCounters>): Promise<void> {
    const columns: Record<string, number> = {};
    for (const [counter, value] of Object.entries(delta)) {
      if (value) columns[RUN_COUNTER_COLUMNS[counter as keyof MirrorRunCounters]] = value;
    }
    if (Object.keys(columns).length === 0) return;
    await this.db('mirror_runs').where({ id }).increment(columns);
  }

  async finishRun(id: string, outcome: RunOutcome): Promise<boolean> {
    // The collected counters, counted exactly from the run's files, stay as they are now.
    const collected = (await countCollectedFiles(this.db, [id])).get(id)!;
    const finished = await this.totals.changing(finishJob(this.db, RUNS, id, {
      status: outcome.status,
      error: outcome.error,
      from: outcome.from ? [outcome.from] : undefined,
      heldBy: outcome.heldBy,
      columns: {
        ...(outcome.artifactsFailed !== undefined ? { artifacts_failed: outcome.artifactsFailed } : {}),
        ...(outcome.filesParked !== undefined ? { files_parked: outcome.filesParked } : {}),
        files_collected: collected.files,
        bytes: collected.bytes,
      },
    }));
    if (finished) await forgetCollectedSoFar(this.db, id);
    return finished;
  }

  async markRunCollecting(
    id: string,
    outcome: { artifactsFailed: number; error?: string },
  ): Promise<boolean> {
    const written = await this.totals.changing(
      this.db('mirror_runs').where({ id, status: 'running' }).update({
        status: 'collecting',
        artifacts_failed: outcome.artifactsFailed,
        error: outcome.error ?? null,
        heartbeat_at: now(),
      }),
    );
    return written === 1;
  }

  runsWithOutstandingFiles(runIds: string[]): Promise<Set<string>> {
    return runsWithOutstandingFiles(this.db, runIds);
  }

  countParkedFiles(runId: string): Promise<number> {
    return countParkedFiles(this.db, runId);
  }

  async takeOverCollectingRuns(
    worker: string,
    options: { staleAfterMs: number; isDead?: (worker: string) => boolean },
  ): Promise<string[]> {
    const abandoned = await findAbandonedJobs(this.db, RUNS, {
      statuses: ['collecting'],
      staleAfterMs: options.staleAfterMs,
      isDead: options.isDead,
      except: worker,
    });
    const taken: string[] = [];
    for (const run of abandoned) {
      const update = { claimed_by: worker, heartbeat_at: now() };
      if (await this.totals.changing(takeAbandonedJob(this.db, RUNS, run, options.staleAfterMs, update))) taken.push(run.id);
    }
    return taken;
  }

  releaseCollectingRuns(worker: string): Promise<number> {
    return this.totals.changing(releaseJobs(this.db, RUNS, worker, ['collecting']));
  }

  failAbandonedRuns(staleAfterMs: number): Promise<string[]> {
    return this.totals.changing(
      failAbandonedJobs(this.db, RUNS, {
        statuses: ['running'],
        staleAfterMs,
        error: 'The replica running it stopped sending heartbeats',
      }),
    );
  }

  async listQueuedRuns(): Promise<MirrorRun[]> {
    const rows = await this.db<RunRow>('mirror_runs').where('status', 'queued').orderBy('created_at');
    return rows.map(toRun);
  }

  async getRun(id: string, visible?: RunVisibility): Promise<MirrorRun | undefined> {
    const row = await this.db<RunRow>('mirror_runs')
      .where({ id })
      .modify(q => visible && applyRunVisibility(q, visible))
      .first();
    return row ? (await this.withCollected([toRun(row)]))[0] : undefined;
  }

  /** Unfinished runs with their collected counters as the collectors added them up so far. */
  private async withCollected(runs: MirrorRun[]): Promise<MirrorRun[]> {
    const unfinished = runs.filter(r => RUNS.unfinished.includes(r.status)).map(r => r.id);
    if (unfinished.length === 0) return runs;
    const counts = await collectedSoFar(this.db, unfinished);
    return runs.map(run => {
      const count = counts.get(run.id);
      return count
        ? { ...run, counters: { ...run.counters, filesCollected: count.files, bytes: count.bytes } }
        : run;
    });
  }

  async listRuns(query: {
    status?: MirrorRunStatus;
    limit: number;
    offset: number;
    visible?: RunVisibility;
  }): Promise<Page<MirrorRun>> {
    const base = this.db<RunRow>('mirror_runs')
      .modify(q => {
        if (query.status) q.where('status', query.status);
        if (query.visible) applyRunVisibility(q, query.visible);
      })
      .select(LISTED_RUN_COLUMNS);
    const orderBy = [
      { column: 'created_at', order: 'desc' as const },
      { column: 'id', order: 'desc' as const },
    ];
    const page = await paginate(
      base,
      // Later pages by key: mirror_runs_status_idx and mirror_runs_created_idx
      // end in the order's (created_at, id).
      { orderBy, limit: query.limit, offset: query.offset, key: 'mirror_runs.id' },
      toRun,
      this.totals,
    );
    return { ...page, items: await this.withCollected(page.items) };
  }
}
