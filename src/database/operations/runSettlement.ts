import { Knex } from 'knex';
import { toNumber } from '../rows/coerce';

// Counts behind a run's `collecting` phase: how many of its files are still
// outstanding, and how many ended parked.

/** Statuses of a file that has no outcome yet. */
const OUTSTANDING = ['pending', 'queued', 'failed'];

/**
 * Files of each run that are neither collected nor parked: one grouped,
 * indexed statement (`artifact_files_run_idx`) for all runs asked about.
 */
export async function countOutstandingFiles(db: Knex, runIds: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>(runIds.map(id => [id, 0]));
  if (runIds.length === 0) return counts;
  const rows: Array<{ run_id: string; files: number | string }> = await db('artifact_files')
    .whereIn('run_id', runIds)
    .whereIn('status', OUTSTANDING)
    .groupBy('run_id')
    .select('run_id', db.raw('COUNT(*) as files'));
  for (const row of rows) counts.set(row.run_id, toNumber(row.files));
  return counts;
}

/** Files of a run that are parked. */
export async function countParkedFiles(db: Knex, runId: string): Promise<number> {
  const [{ files }] = await db('artifact_files')
    .where({ run_id: runId, status: 'parked' })
    .count<Array<{ files: number | string }>>({ files: '*' });
  return toNumber(files);
}

/**
 * Files each run queued that are collected, and their bytes: one grouped,
 * indexed statement (`artifact_files_run_idx`). A run's collected counters
 * are these while it is unfinished, and are stored when it finishes, so
 * that collectors never update the run's row per file.
 */
export async function countCollectedFiles(
  db: Knex,
  runIds: string[],
): Promise<Map<string, { files: number; bytes: number }>> {
  const counts = new Map<string, { files: number; bytes: number }>(runIds.map(id => [id, { files: 0, bytes: 0 }]));
  if (runIds.length === 0) return counts;
  const rows: Array<{ run_id: string; files: number | string; bytes: number | string | null }> = await db(
    'artifact_files',
  )
    .whereIn('run_id', runIds)
    .where('status', 'collected')
    .groupBy('run_id')
    .select('run_id', db.raw('COUNT(*) as files'), db.raw('SUM(COALESCE(size, 0)) as bytes'));
  for (const row of rows) counts.set(row.run_id, { files: toNumber(row.files), bytes: toNumber(row.bytes) });
  return counts;
}
