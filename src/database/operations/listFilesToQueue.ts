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
  const conditions = queueConditions(query);
  const rows: Array<FileRow & FileOwnerColumns> = [];
  for (const part of chunks(await selectedVersionRefs(db, query))) {
    rows.push(...(await filesToQueueOf(filesWithOwner(db), part, conditions)));
  }
  return rows.sort((a, b) => a.ref - b.ref).map(toStoredFile);
}

/**
 * The refs (and queueing run) of the files {@link listFilesToQueue} offers,
 * and nothing else of them: what queueing them needs. After a first run's
 * walk of thousands of artifacts, the full rows with their owners were tens
 * of thousands of objects made and dropped at once.
 */
export async function listFileRefsToQueue(
  db: Knex,
  query: FilesToQueueQuery,
): Promise<Array<{ ref: number; runId?: string }>> {
  const conditions = queueConditions(query);
  const rows: Array<Pick<FileRow, 'ref' | 'run_id'>> = [];
  for (const part of chunks(await selectedVersionRefs(db, query))) {
    rows.push(...(await filesToQueueOf(db('artifact_files as f').select('f.ref', 'f.run_id'), part, conditions)));
  }
  return rows.sort((a, b) => a.ref - b.ref).map(r => ({ ref: r.ref, runId: r.run_id ?? undefined }));
}

interface QueueConditions {
  timestamp: string;
  cutoff: string;
  requeued: string[];
}

function queueConditions(query: FilesToQueueQuery): QueueConditions {
  return {
    timestamp: now(),
    cutoff: msAgo(query.staleAfterMs),
    requeued: query.includeFailed ? ['queued', 'failed'] : ['queued'],
  };
}

/**
 * The selected versions (of the artifacts asked about): what drives the
 * listing (`artifact_versions_selected_idx`), a small part of every version
 * listed, their files then read by version ref: the uncollected files of
 * the versions never selected are most of the table, and the planner would
 * otherwise scan it whole.
 */
async function selectedVersionRefs(db: Knex, query: FilesToQueueQuery): Promise<number[]> {
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
  return selected;
}

/** The files of some selected versions that are to be queued (see {@link listFilesToQueue}). */
function filesToQueueOf<T extends Knex.QueryBuilder>(
  files: T,
  versionRefs: number[],
  { timestamp, cutoff, requeued }: QueueConditions,
): T {
  return files
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
    .where(q => q.whereNull('f.locked_until').orWhere('f.locked_until', '<', timestamp)) as T;
}
