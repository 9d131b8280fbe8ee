import { Knex } from 'knex';
import { StoredFile } from '../FileStore';
import { msFromNow, now } from '../rows/coerce';
import { FileOwnerColumns, FileRow, toStoredFile } from '../rows/files';
import { filesWithOwner } from './listFilesToQueue';

/**
 * Leases a file to a worker for collection and reads it, in one statement
 * on PostgreSQL: the file is taken when it is neither collected nor parked
 * and no other worker holds a live lease on it (its own lease is renewed).
 * Returns the file as it is now leased, or undefined when it was not taken.
 *
 * `claimedBefore` says whether any collector claimed the file before this
 * call: the claim stamps `claimed_at` with this call's time only when it
 * was empty, so a stamp other than ours is an earlier claim's. (Two claims
 * in the same millisecond would read as a first claim; that costs only a
 * download of bytes that may already be stored, never a wrong record.)
 */
export async function claimFileToCollect(
  db: Knex,
  fileRef: number,
  worker: string,
  leaseMs: number,
): Promise<StoredFile | undefined> {
  const timestamp = now();
  const lockedUntil = msFromNow(leaseMs);
  let row: (FileRow & FileOwnerColumns) | undefined;
  if (db.client.config.client === 'pg') {
    // A data-modifying CTE joined to the owner: lease and read in one round
    // trip and one commit.
    const result = await db.raw(
      `WITH claimed AS (
         UPDATE artifact_files
            SET locked_by = ?, locked_until = ?, claimed_at = COALESCE(claimed_at, ?)
          WHERE ref = ? AND collected = false AND status <> 'parked'
            AND (locked_until IS NULL OR locked_until < ? OR locked_by = ?)
          RETURNING *
       )
       SELECT f.*, v.version AS version, v.artifact_ref AS artifact_ref,
              a.processor AS processor, a.id AS artifact_id
         FROM claimed f
         JOIN artifact_versions v ON v.ref = f.version_ref
         JOIN artifacts a ON a.ref = v.artifact_ref`,
      [worker, lockedUntil, timestamp, fileRef, timestamp, worker],
    );
    row = result.rows[0];
  } else {
    // SQLite has no data-modifying CTE; its statements are local calls.
    const taken = await db('artifact_files')
      .where({ ref: fileRef, collected: false })
      .whereNot('status', 'parked')
      .where(q => q.whereNull('locked_until').orWhere('locked_until', '<', timestamp).orWhere('locked_by', worker))
      .update({
        locked_by: worker,
        locked_until: lockedUntil,
        claimed_at: db.raw('COALESCE(claimed_at, ?)', [timestamp]),
      });
    if (taken === 1) row = await filesWithOwner(db).where('f.ref', fileRef).first();
  }
  if (!row) return undefined;
  const file = toStoredFile(row);
  const claimedAt = row.claimed_at ? new Date(row.claimed_at).getTime() : undefined;
  return { ...file, claimedBefore: claimedAt !== undefined && claimedAt !== Date.parse(timestamp) };
}
