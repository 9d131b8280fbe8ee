import { Knex } from 'knex';
import { now } from '../rows/coerce';

/** What the collector proved of one stored file. */
export interface CollectedRecord {
  fileRef: number;
  size: number;
  /** Lower-case hex sha256 of the stored bytes. */
  digest: string;
  storageKey: string;
}

/**
 * Records files as collected, in one transaction (one statement on
 * PostgreSQL): the collector gathers the outcomes that arrive while a
 * record is being written, so many small files share one commit. Files
 * already collected are left alone. No run row is touched: a run's
 * collected counters are counted from its files, so collectors never
 * queue behind one another on a shared row lock. Returns the rows written.
 */
export async function markFilesCollected(db: Knex, records: CollectedRecord[]): Promise<number> {
  if (records.length === 0) return 0;
  const timestamp = now();
  if (db.client.config.client === 'pg') {
    // The refs in order, so that two writers' batches lock rows alike.
    const sorted = [...records].sort((a, b) => a.fileRef - b.fileRef);
    const result = await db.raw(
      `UPDATE artifact_files AS f
          SET collected = true, status = 'collected', collected_at = ?,
              size = r.size, collected_digest = r.digest, storage_key = r.storage_key,
              error = NULL, error_kind = NULL, attempts = f.attempts + 1,
              locked_by = NULL, locked_until = NULL
         FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[]) AS r(ref, size, digest, storage_key)
        WHERE f.ref = r.ref AND f.collected = false`,
      [
        timestamp,
        sorted.map(r => r.fileRef),
        sorted.map(r => r.size),
        sorted.map(r => r.digest),
        sorted.map(r => r.storageKey),
      ],
    );
    return result.rowCount ?? 0;
  }
  // SQLite: one transaction, hence one commit, of one update per file.
  return db.transaction(async tx => {
    let written = 0;
    for (const r of records) {
      written += await tx('artifact_files')
        .where({ ref: r.fileRef, collected: false })
        .update({
          collected: true,
          status: 'collected',
          collected_at: timestamp,
          error: null,
          error_kind: null,
          locked_by: null,
          locked_until: null,
          size: r.size,
          collected_digest: r.digest,
          storage_key: r.storageKey,
          attempts: tx.raw('attempts + 1'),
        });
    }
    return written;
  });
}
