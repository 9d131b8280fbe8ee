import { Knex } from 'knex';
import { toNumber } from '../rows/coerce';

// Counts behind a run's `collecting` phase: how many of its files are still
// outstanding, and how many ended parked.

/** Statuses of a file that has no outcome yet. */
const OUTSTANDING = ['pending', 'queued', 'failed'];

/**
 * The runs, of those asked about, that still have a file neither collected
 * nor parked. One indexed probe per run (`artifact_files_run_idx`) that
 * stops at the first such file: a watcher asks on every check while a run
 * collects, so counting every outstanding file each time would read the
 * run's files over and over.
 */
export async function runsWithOutstandingFiles(db: Knex, runIds: string[]): Promise<Set<string>> {
  const outstanding = new Set<string>();
  for (const runId of runIds) {
    const found = await db('artifact_files')
      .where('run_id', runId)
      .whereIn('status', OUTSTANDING)
      .select('ref')
      .first();
    if (found) outstanding.add(runId);
  }
  return outstanding;
}

/** Files of a run that are parked. */
export async function countParkedFiles(db: Knex, runId: string): Promise<number> {
  const [{ files }] = await db('artifact_files')
    .where({ run_id: runId, status: 'parked' })
    .count<Array<{ files: number | string }>>({ files: '*' });
  return toNumber(files);
}

/** Collected files of a run and their bytes. */
type CollectedCount = { files: number; bytes: number };

/** A grouped row of collected files per run, as the database returns it. */
type CountRow = { run_id: string; files: number | string; bytes: number | string | null };

/**
 * Every run asked about, with zero for a run the grouped query found no row
 * for (the query only returns runs that have one), and nothing asked of the
 * database when there are no runs.
 */
async function countsPerRun(
  runIds: string[],
  query: () => Promise<CountRow[]>,
): Promise<Map<string, CollectedCount>> {
  const counts = new Map<string, CollectedCount>(runIds.map(id => [id, { files: 0, bytes: 0 }]));
  if (runIds.length === 0) return counts;
  for (const row of await query()) counts.set(row.run_id, { files: toNumber(row.files), bytes: toNumber(row.bytes) });
  return counts;
}

/**
 * Files each run queued that are collected, and their bytes, counted from
 * the run's files: one grouped, indexed statement that reads every
 * collected file of the runs, so it runs once, when a run finishes.
 */
export async function countCollectedFiles(
  db: Knex,
  runIds: string[],
): Promise<Map<string, CollectedCount>> {
  return countsPerRun(runIds, () =>
    db('artifact_files')
      .whereIn('run_id', runIds)
      .where('status', 'collected')
      .groupBy('run_id')
      .select('run_id', db.raw('COUNT(*) as files'), db.raw('SUM(COALESCE(size, 0)) as bytes')),
  );
}

/**
 * Collected files and bytes of unfinished runs as the collectors added
 * them up (`markFilesCollected`): a few shard rows per run, whatever the
 * number of its files, so that polling a run's progress stays cheap.
 */
export async function collectedSoFar(db: Knex, runIds: string[]): Promise<Map<string, CollectedCount>> {
  return countsPerRun(runIds, () =>
    db('run_collected_counts')
      .whereIn('run_id', runIds)
      .groupBy('run_id')
      .select('run_id', db.raw('SUM(files) as files'), db.raw('SUM(bytes) as bytes')),
  );
}

/** Drops the running counts of a finished run, whose counters are now stored. */
export async function forgetCollectedSoFar(db: Knex, runId: string): Promise<void> {
  await db('run_collected_counts').where({ run_id: runId }).delete();
}
