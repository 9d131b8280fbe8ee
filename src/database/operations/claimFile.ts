import { Knex } from 'knex';
import { StoredFile } from '../FileStore';
import { msFromNow, now } from '../rows/coerce';
import { FileOwnerColumns, FileRow, LISTED_FILE_COLUMNS, toStoredFile } from '../rows/files';
import { filesWithOwner } from './listFilesToQueue';
import { chunks } from '../chunks';
import { named, NamedStatementOptions } from '../preparedStatement';
import { ISO_TIMESTAMPS } from '../rows/isoTimestamps';

/**
 * What a claim returns of a file row: what {@link toStoredFile} reads,
 * named rather than `*` as a prepared statement needs (see {@link named}).
 */
const CLAIMED_COLUMNS = [
  'ref',
  'version_ref',
  ...LISTED_FILE_COLUMNS,
  'run_id',
  'locked_by',
  'locked_until',
  'claimed_at',
].join(', ');

/**
 * Leases files to a worker for collection and reads them, in one statement
 * on PostgreSQL whatever their number: a file is taken when it is neither
 * collected nor parked and no other worker holds a live lease on it (its
 * own lease is renewed). Returns the files as they are now leased, by ref;
 * a ref missing from the map was not taken. Claiming the deliveries that
 * arrive together in one statement makes the claim's round trip and commit
 * a cost per burst rather than per file.
 *
 * `claimedBefore` says whether any collector claimed a file before this
 * call: the claim stamps `claimed_at` with this call's time only when it
 * was empty, so a stamp other than ours is an earlier claim's. (Two claims
 * in the same millisecond would read as a first claim; that costs only a
 * download of bytes that may already be stored, never a wrong record.)
 */
export async function claimFilesToCollect(
  db: Knex,
  fileRefs: number[],
  worker: string,
  leaseMs: number,
  options: NamedStatementOptions = {},
): Promise<Map<number, StoredFile>> {
  const claimed = new Map<number, StoredFile>();
  if (fileRefs.length === 0) return claimed;
  const timestamp = now();
  const lockedUntil = msFromNow(leaseMs);
  // In order, so that two writers' batches lock rows alike (as
  // markFilesCollected does).
  const refs = [...new Set(fileRefs)].sort((a, b) => a - b);
  let rows: Array<FileRow & FileOwnerColumns>;
  if (db.client.config.client === 'pg') {
    // A data-modifying CTE joined to the owner: lease and read in one round
    // trip and one commit, as a named statement (planned once per connection).
    const result = await named(
      db.raw(
        `WITH claimed AS (
           UPDATE artifact_files
              SET locked_by = ?, locked_until = ?, claimed_at = COALESCE(claimed_at, ?)
            WHERE ref = ANY(?::bigint[]) AND collected = false AND status <> 'parked'
              AND (locked_until IS NULL OR locked_until < ? OR locked_by = ?)
            RETURNING ${CLAIMED_COLUMNS}
         )
         SELECT f.*, v.version AS version, v.artifact_ref AS artifact_ref,
                a.processor AS processor, a.id AS artifact_id
           FROM claimed f
           JOIN artifact_versions v ON v.ref = f.version_ref
           JOIN artifacts a ON a.ref = v.artifact_ref`,
        [worker, lockedUntil, timestamp, refs, timestamp, worker],
      ),
      'backpack_claim_files_to_collect',
      options.preparedStatements,
    ).options({ types: ISO_TIMESTAMPS });
    rows = result.rows;
  } else {
    // SQLite has no data-modifying CTE; its statements are local calls.
    // The files this call took are those now leased to the worker until
    // this call's own expiry and still to collect.
    rows = [];
    for (const part of chunks(refs)) {
      const taken = await db('artifact_files')
        .whereIn('ref', part)
        .where('collected', false)
        .whereNot('status', 'parked')
        .where(q => q.whereNull('locked_until').orWhere('locked_until', '<', timestamp).orWhere('locked_by', worker))
        .update({
          locked_by: worker,
          locked_until: lockedUntil,
          claimed_at: db.raw('COALESCE(claimed_at, ?)', [timestamp]),
        });
      if (taken === 0) continue;
      rows.push(
        ...(await filesWithOwner(db)
          .whereIn('f.ref', part)
          .where({ 'f.locked_by': worker, 'f.locked_until': lockedUntil, 'f.collected': false })
          .whereNot('f.status', 'parked')),
      );
    }
  }
  const stamp = Date.parse(timestamp);
  for (const row of rows) {
    const file = toStoredFile(row);
    const claimedAt = row.claimed_at ? new Date(row.claimed_at).getTime() : undefined;
    claimed.set(file.ref, { ...file, claimedBefore: claimedAt !== undefined && claimedAt !== stamp });
  }
  return claimed;
}

/** Leases one file to a worker and reads it; see {@link claimFilesToCollect}. */
export async function claimFileToCollect(
  db: Knex,
  fileRef: number,
  worker: string,
  leaseMs: number,
): Promise<StoredFile | undefined> {
  return (await claimFilesToCollect(db, [fileRef], worker, leaseMs)).get(fileRef);
}
