import { Knex } from 'knex';
import { FilesToQueueQuery, StoredFile } from '../FileStore';
import { msAgo, now } from '../rows/coerce';
import { FILE_OWNER_COLUMNS, FileOwnerColumns, FileRow, toStoredFile } from '../rows/files';

/** Files (`f`) with their version (`v`) and artifact (`a`), as {@link toStoredFile} maps them. */
export function filesWithOwner(db: Knex): Knex.QueryBuilder<any, Array<FileRow & FileOwnerColumns>> {
  return db('artifact_files as f')
    .join('artifact_versions as v', 'v.ref', 'f.version_ref')
    .join('artifacts as a', 'a.ref', 'v.artifact_ref')
    .select('f.*', ...FILE_OWNER_COLUMNS);
}

/**
 * Files of selected versions that are neither collected nor in flight, by
 * ref: pending ones, and queued ones (failed ones too with
 * `includeFailed`) that were queued at least `staleAfterMs` ago, so their
 * job is taken to be lost. A file whose lease is live is in flight
 * whatever its status.
 */
export async function listFilesToQueue(db: Knex, query: FilesToQueueQuery): Promise<StoredFile[]> {
  const timestamp = now();
  const cutoff = msAgo(query.staleAfterMs);
  const requeued = query.includeFailed ? ['queued', 'failed'] : ['queued'];
  const rows = await filesWithOwner(db)
    .where('v.status', 'selected')
    .where('f.collected', false)
    .where(q =>
      q
        .where('f.status', 'pending')
        .orWhere(stale =>
          stale
            .whereIn('f.status', requeued)
            .where(t => t.whereNull('f.queued_at').orWhere('f.queued_at', '<=', cutoff)),
        ),
    )
    .where(q => q.whereNull('f.locked_until').orWhere('f.locked_until', '<', timestamp))
    .modify(q => {
      if (query.artifactRefs) q.whereIn('v.artifact_ref', query.artifactRefs);
    })
    .orderBy('f.ref');
  return rows.map(toStoredFile);
}
