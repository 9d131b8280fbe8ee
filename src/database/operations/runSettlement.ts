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
