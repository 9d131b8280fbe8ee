import { Knex } from 'knex';
import { chunks } from '../chunks';
import { EPOCH, now } from '../rows/coerce';

// Leases on files whose worker died: who holds leases, ending the leases of
// dead workers at once, and taking back the leases that ran out.

/**
 * Takes back the leases that expired on files not collected: their worker
 * died or stopped renewing. The files become queued again (queued_at now),
 * so that exactly one caller enqueues each: the conditional update decides.
 * Returns the refs and runs of the files this call took back.
 */
export async function takeExpiredLeases(db: Knex): Promise<Array<{ ref: number; runId?: string }>> {
  const timestamp = now();
  const expired = (q: Knex.QueryBuilder) =>
    q.where('collected', false).whereNotNull('locked_until').where('locked_until', '<', timestamp);
  const candidates: Array<{ ref: number; run_id: string | null }> = await db('artifact_files')
    .modify(expired)
    .whereIn('status', ['pending', 'queued', 'failed'])
    .select('ref', 'run_id');
  const runOf = new Map(candidates.map(c => [c.ref, c.run_id ?? undefined]));
  const taken: Array<{ ref: number; runId?: string }> = [];
  for (const part of chunks(candidates.map(c => c.ref))) {
    const moved: Array<{ ref: number } | number> = await db('artifact_files')
      .whereIn('ref', part)
      .modify(expired)
      .update({ status: 'queued', queued_at: timestamp, locked_by: null, locked_until: null }, ['ref']);
    for (const row of moved) {
      const ref = typeof row === 'number' ? row : row.ref;
      taken.push({ ref, runId: runOf.get(ref) });
    }
  }
  return taken;
}

/** The workers holding a lease on a file that is not collected, live or not. */
export async function listLeaseHolders(db: Knex): Promise<string[]> {
  const rows: Array<{ locked_by: string }> = await db('artifact_files')
    .where('collected', false)
    .whereNotNull('locked_by')
    .whereNotNull('locked_until')
    .distinct('locked_by');
  return rows.map(r => r.locked_by);
}

/**
 * Ends the leases of the given workers at once (they run out at the epoch,
 * so {@link takeExpiredLeases} takes them next); returns how many ended.
 */
export async function expireLeases(db: Knex, workers: string[]): Promise<number> {
  let expired = 0;
  for (const part of chunks(workers)) {
    expired += await db('artifact_files')
      .whereIn('locked_by', part)
      .where('collected', false)
      .update({ locked_until: EPOCH });
  }
  return expired;
}
