import { Knex } from 'knex';
import { FilesToQueueQuery, StoredFile } from '../FileStore';
import { chunks } from '../chunks';
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
  // Driven by the selected versions (`artifact_versions_selected_idx`), a
  // small part of every version listed, then their files by version ref:
  // the uncollected files of the versions never selected are most of the
  // table, and the planner would otherwise scan it whole.
  const selected: number[] = [];
  const ofArtifacts = query.artifactRefs ? chunks(query.artifactRefs) : [undefined];
  for (const part of ofArtifacts) {
    const versions: Array<{ ref: number }> = await db('artifact_versions')
      .where('status', 'selected')
      .modify(q => {
        if (part) q.whereIn('artifact_ref', part);
      })
      .select('ref');
    selected.push(...versions.map(v => v.ref));
  }
  const rows: Array<FileRow & FileOwnerColumns> = [];
  for (const part of chunks(selected)) {
    rows.push(...(await filesToQueueOf(db, part, { timestamp, cutoff, requeued })));
  }
  return rows.sort((a, b) => a.ref - b.ref).map(toStoredFile);
}

/** The files of some selected versions that are to be queued (see {@link listFilesToQueue}). */
function filesToQueueOf(
  db: Knex,
  versionRefs: number[],
  { timestamp, cutoff, requeued }: { timestamp: string; cutoff: string; requeued: string[] },
): Promise<Array<FileRow & FileOwnerColumns>> {
  return filesWithOwner(db)
    .whereIn('f.version_ref', versionRefs)
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
    .where(q => q.whereNull('f.locked_until').orWhere('f.locked_until', '<', timestamp));
}
