import { Knex } from 'knex';
import { EPOCH, msAgo, now, toIso } from '../rows/coerce';

// Leased background jobs: rows that one replica claims and keeps alive by
// heartbeats while it works on them, and that another replica finds
// abandoned when the heartbeats stop. Mirror runs and exports are such
// jobs; both tables have the columns `id`, `status`, `claimed_by`,
// `created_at`, `started_at`, `heartbeat_at`, `finished_at` and `error`.
// Every change is one conditional update, so that of several replicas
// exactly one claims, takes over or fails a job.

/** A table of leased jobs. */
export interface LeasedJobTable {
  name: 'mirror_runs' | 'exports';
  /** Statuses of a job that is not finished; a finished job never changes again. */
  unfinished: readonly string[];
}

/** A job found abandoned, as {@link takeAbandonedJob} needs it. */
export interface AbandonedJob {
  id: string;
  status: string;
  claimedBy?: string;
  /** Abandoned because its holder is known to be gone, whatever its heartbeat says. */
  holderDead: boolean;
}

/** Moves a queued job to running for one worker; false if another has it. */
export async function claimJob(db: Knex, table: LeasedJobTable, id: string, worker: string): Promise<boolean> {
  const timestamp = now();
  const claimed = await db(table.name)
    .where({ id, status: 'queued' })
    .update({ status: 'running', claimed_by: worker, started_at: timestamp, heartbeat_at: timestamp });
  return claimed === 1;
}

/** Marks a job that is not finished as alive. */
export async function heartbeatJob(db: Knex, table: LeasedJobTable, id: string): Promise<void> {
  await db(table.name).where({ id }).whereIn('status', table.unfinished).update({ heartbeat_at: now() });
}

/**
 * Records a job's outcome, with `columns` of its table, if it is in one of
 * `from` still (by default: not finished) and, given `heldBy`, held by that
 * worker. Returns whether it was written.
 */
export async function finishJob(
  db: Knex,
  table: LeasedJobTable,
  id: string,
  outcome: {
    status: string;
    error?: string;
    from?: readonly string[];
    heldBy?: string;
    columns?: Record<string, unknown>;
  },
): Promise<boolean> {
  const written = await db(table.name)
    .where({ id })
    .whereIn('status', outcome.from ?? table.unfinished)
    .modify(q => {
      if (outcome.heldBy !== undefined) q.where('claimed_by', outcome.heldBy);
    })
    .update({ ...outcome.columns, status: outcome.status, error: outcome.error ?? null, finished_at: now() });
  return written === 1;
}

/**
 * Jobs in `statuses` whose holder went quiet (no heartbeat, or when none
 * was ever sent no creation, within `staleAfterMs`) or that `isDead` says
 * is gone; the jobs `except` holds aside.
 */
export async function findAbandonedJobs(
  db: Knex,
  table: LeasedJobTable,
  options: {
    statuses: readonly string[];
    staleAfterMs: number;
    isDead?: (worker: string) => boolean;
    except?: string;
  },
): Promise<AbandonedJob[]> {
  const cutoff = Date.now() - options.staleAfterMs;
  const rows: Array<{
    id: string;
    status: string;
    claimed_by: string | null;
    created_at: string | Date;
    heartbeat_at: string | Date | null;
  }> = await db(table.name)
    .whereIn('status', options.statuses)
    .select('id', 'status', 'claimed_by', 'created_at', 'heartbeat_at')
    .orderBy('created_at');
  const abandoned: AbandonedJob[] = [];
  for (const row of rows) {
    if (options.except !== undefined && row.claimed_by === options.except) continue;
    const holderDead = row.claimed_by !== null && Boolean(options.isDead?.(row.claimed_by));
    const quiet = Date.parse(toIso(row.heartbeat_at ?? row.created_at)) < cutoff;
    if (quiet || holderDead) {
      abandoned.push({ id: row.id, status: row.status, claimedBy: row.claimed_by ?? undefined, holderDead });
    }
  }
  return abandoned;
}

/**
 * Takes a job {@link findAbandonedJobs} found, if it is as it was found:
 * in the same status, with the same holder and, unless that holder is
 * dead, quiet still. `update` says what taking means: a new holder and a
 * heartbeat, or an outcome. Returns whether this call took it.
 */
export async function takeAbandonedJob(
  db: Knex,
  table: LeasedJobTable,
  job: AbandonedJob,
  staleAfterMs: number,
  update: Record<string, unknown>,
): Promise<boolean> {
  const taken = await db(table.name)
    .where({ id: job.id, status: job.status })
    .modify(q => {
      if (job.claimedBy === undefined) q.whereNull('claimed_by');
      else q.where('claimed_by', job.claimedBy);
      if (!job.holderDead) q.whereRaw('COALESCE(heartbeat_at, created_at) < ?', [msAgo(staleAfterMs)]);
    })
    .update(update);
  return taken === 1;
}

/**
 * Fails the jobs in `statuses` whose holder went quiet for `staleAfterMs`,
 * each on exactly one caller; returns their ids.
 */
export async function failAbandonedJobs(
  db: Knex,
  table: LeasedJobTable,
  options: { statuses: readonly string[]; staleAfterMs: number; error: string },
): Promise<string[]> {
  const failed: string[] = [];
  for (const job of await findAbandonedJobs(db, table, options)) {
    const update = { status: 'failed', finished_at: now(), error: options.error };
    if (await takeAbandonedJob(db, table, job, options.staleAfterMs, update)) failed.push(job.id);
  }
  return failed;
}

/**
 * Hands the jobs in `statuses` that a stopping worker holds over: their
 * heartbeat goes back to the epoch, so the next replica finds them
 * abandoned at once. Returns how many.
 */
export async function releaseJobs(
  db: Knex,
  table: LeasedJobTable,
  worker: string,
  statuses: readonly string[],
): Promise<number> {
  return db(table.name)
    .where({ claimed_by: worker })
    .whereIn('status', statuses)
    .update({ heartbeat_at: EPOCH });
}
