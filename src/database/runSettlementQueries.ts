import { Knex } from 'knex';

// Queries behind a run's `collecting` phase: how many of its files are still
// outstanding, how many ended parked, and which collecting runs lost their
// watcher. Used by DatabaseBackpackStore; SQLite and PostgreSQL alike.

const now = () => new Date().toISOString();

/** Statuses of a file that has no outcome yet. */
const OUTSTANDING = ['pending', 'queued', 'failed'];

/**
 * Files of each run that are neither collected nor parked: one grouped,
 * indexed statement (`artifact_files_run_idx`) for all runs asked about.
 */
export async function countOutstandingFiles(
  db: Knex,
  runIds: string[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>(runIds.map(id => [id, 0]));
  if (runIds.length === 0) return counts;
  const rows: Array<{ run_id: string; files: number | string }> = await db(
    'artifact_files',
  )
    .whereIn('run_id', runIds)
    .whereIn('status', OUTSTANDING)
    .groupBy('run_id')
    .select('run_id', db.raw('COUNT(*) as files'));
  for (const row of rows) counts.set(row.run_id, Number(row.files));
  return counts;
}

/** Files of a run that are parked. */
export async function countParkedFiles(db: Knex, runId: string): Promise<number> {
  const [{ files }] = await db('artifact_files')
    .where({ run_id: runId, status: 'parked' })
    .count<Array<{ files: number | string }>>({ files: '*' });
  return Number(files);
}

/**
 * Takes over collecting runs whose watcher stopped sending heartbeats, or
 * whose watcher `isDead` says is gone: one conditional update per run, so
 * that of several replicas exactly one takes each. Returns their ids.
 */
export async function takeOverCollectingRuns(
  db: Knex,
  worker: string,
  options: { staleAfterMs: number; isDead?: (worker: string) => boolean },
): Promise<string[]> {
  const cutoff = Date.now() - options.staleAfterMs;
  const rows: Array<{
    id: string;
    claimed_by: string | null;
    heartbeat_at: string | Date | null;
  }> = await db('mirror_runs')
    .where('status', 'collecting')
    .select('id', 'claimed_by', 'heartbeat_at');
  const abandoned = rows.filter(
    row =>
      row.claimed_by !== worker &&
      (!row.heartbeat_at ||
        new Date(row.heartbeat_at).getTime() < cutoff ||
        (row.claimed_by !== null && options.isDead?.(row.claimed_by))),
  );
  const taken: string[] = [];
  for (const row of abandoned) {
    const moved = await db('mirror_runs')
      .where({ id: row.id, status: 'collecting' })
      .modify(q =>
        row.claimed_by === null
          ? q.whereNull('claimed_by')
          : q.where('claimed_by', row.claimed_by),
      )
      .update({ claimed_by: worker, heartbeat_at: now() });
    if (moved === 1) taken.push(row.id);
  }
  return taken;
}

/**
 * Hands a stopping watcher's collecting runs over: without a heartbeat they
 * count as abandoned, so the next watcher takes them at once.
 */
export async function releaseCollectingRuns(db: Knex, worker: string): Promise<number> {
  return db('mirror_runs')
    .where({ status: 'collecting', claimed_by: worker })
    .update({ heartbeat_at: null });
}
