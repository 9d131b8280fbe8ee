import { Knex } from 'knex';
import { now, toNumber } from '../rows/coerce';
import { CHUNK } from '../chunks';
import { chunks } from '../../lib/chunks';
import { named, NamedStatementOptions } from '../preparedStatement';

/** What the collector proved of one stored file. */
export interface CollectedRecord {
  fileRef: number;
  size: number;
  /** Lower-case hex sha256 of the stored bytes. */
  digest: string;
  storageKey: string;
}

/**
 * Shard rows per run in `run_collected_counts`: enough that concurrent
 * batches rarely wait on one another's row lock, few enough that reading a
 * run's progress stays a handful of rows.
 */
export const COUNT_SHARDS = 16;

const randomShard = () => Math.floor(Math.random() * COUNT_SHARDS);

/**
 * Records files as collected, in one transaction (one statement on
 * PostgreSQL): the collector gathers the outcomes that arrive while a
 * record is being written, so many small files share one commit. Files
 * already collected are left alone. The files and bytes written are added
 * to a random shard row of their run in `run_collected_counts`, once per
 * batch: reading a run's progress then needs no count over its files, and
 * collectors never queue behind one shared row lock. Returns the rows written.
 */
export async function markFilesCollected(
  db: Knex,
  records: CollectedRecord[],
  options: NamedStatementOptions = {},
): Promise<number> {
  if (records.length === 0) return 0;
  const timestamp = now();
  if (db.client.config.client === 'pg') {
    // The refs in order, so that two writers' batches lock rows alike.
    const sorted = [...records].sort((a, b) => a.fileRef - b.fileRef);
    // Named (see `named`): its text is the same for every batch.
    const result = await named(
      db.raw(
        `WITH updated AS (
         UPDATE artifact_files AS f
            SET collected = true, status = 'collected', collected_at = ?,
                size = r.size, collected_digest = r.digest, storage_key = r.storage_key,
                error = NULL, error_kind = NULL, attempts = f.attempts + 1,
                locked_by = NULL, locked_until = NULL
           FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[]) AS r(ref, size, digest, storage_key)
          WHERE f.ref = r.ref AND f.collected = false
         RETURNING f.run_id, f.size
         ), counted AS (
         INSERT INTO run_collected_counts AS c (run_id, shard, files, bytes)
         SELECT run_id, ?, COUNT(*), SUM(COALESCE(size, 0)) FROM updated
          WHERE run_id IS NOT NULL GROUP BY run_id
         ON CONFLICT (run_id, shard)
         DO UPDATE SET files = c.files + EXCLUDED.files, bytes = c.bytes + EXCLUDED.bytes
         )
         SELECT COUNT(*) AS written FROM updated`,
        [
          timestamp,
          sorted.map(r => r.fileRef),
          sorted.map(r => r.size),
          sorted.map(r => r.digest),
          sorted.map(r => r.storageKey),
          randomShard(),
        ],
      ),
      'backpack_mark_files_collected',
      options.preparedStatements,
    );
    return toNumber(result.rows[0].written);
  }
  // SQLite: one transaction, hence one commit, of one update per file.
  return db.transaction(async tx => {
    const written: number[] = [];
    for (const r of records) {
      const rows = await tx('artifact_files')
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
      if (rows > 0) written.push(r.fileRef);
    }
    await addCollectedCounts(tx, written);
    return written.length;
  });
}

/** Adds the files just written (SQLite) to their runs' counts. */
async function addCollectedCounts(tx: Knex.Transaction, refs: number[]): Promise<void> {
  const shard = randomShard();
  for (const part of chunks(refs, CHUNK)) {
    const rows: Array<{ run_id: string; files: number | string; bytes: number | string | null }> = await tx(
      'artifact_files',
    )
      .whereIn('ref', part)
      .whereNotNull('run_id')
      .groupBy('run_id')
      .select('run_id', tx.raw('COUNT(*) as files'), tx.raw('SUM(COALESCE(size, 0)) as bytes'));
    for (const row of rows) {
      await tx('run_collected_counts')
        .insert({ run_id: row.run_id, shard, files: toNumber(row.files), bytes: toNumber(row.bytes) })
        .onConflict(['run_id', 'shard'])
        .merge({
          files: tx.raw('run_collected_counts.files + excluded.files'),
          bytes: tx.raw('run_collected_counts.bytes + excluded.bytes'),
        });
    }
  }
}
