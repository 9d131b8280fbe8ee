import { Knex } from 'knex';
import { applyArtifactFilter } from '../artifactScope';
import { chunks } from '../chunks';
import { FileResetScope } from '../FileStore';
import { msAgo } from '../rows/coerce';

// Failed and parked files back to pending for a retry. A retry is no longer
// part of the run that failed the files: that run counted them already and
// its report stays as it was, so the files are detached from it.

/** What a file that starts afresh is set to. */
const AFRESH = {
  status: 'pending',
  attempts: 0,
  queued_at: null,
  run_id: null,
  locked_by: null,
  locked_until: null,
};

/**
 * Failed or parked files in the scope back to pending, with no attempts and
 * detached from their run. Returns how many files moved, and of which
 * artifacts.
 */
export async function resetFiles(
  db: Knex,
  scope: FileResetScope,
): Promise<{ moved: number; artifactRefs: number[] }> {
  // Most calls find nothing (every run recovers the parked files of the
  // upstreams that answered): one look through `artifact_files_uncollected_idx`
  // spares the statements per group of artifacts.
  const any = await db('artifact_files')
    .where('collected', false)
    .whereIn('status', scope.statuses)
    .modify(q => {
      if (scope.errorKind) q.where('error_kind', scope.errorKind);
    })
    .first('ref');
  if (!any) return { moved: 0, artifactRefs: [] };
  // A run may name thousands of artifacts: bounded lists per statement.
  const groups = scope.artifactRefs ? chunks(scope.artifactRefs) : [undefined];
  let moved = 0;
  const artifactRefs = new Set<number>();
  for (const group of groups) {
    const reset = await resetGroup(db, { ...scope, artifactRefs: group });
    moved += reset.moved;
    reset.artifactRefs.forEach(ref => artifactRefs.add(ref));
  }
  return { moved, artifactRefs: [...artifactRefs] };
}

async function resetGroup(
  db: Knex,
  scope: FileResetScope,
): Promise<{ moved: number; artifactRefs: number[] }> {
  return db.transaction(async tx => {
    const artifacts = tx('artifacts').select('ref').where(q => {
      if (scope.processor !== undefined) q.where('processor', scope.processor);
      if (scope.id !== undefined) q.where('id', scope.id);
      if (scope.filter) applyArtifactFilter(q, scope.filter);
    });
    const rows: Array<{ ref: number; artifact_ref: number }> = await tx('artifact_files as f')
      .join('artifact_versions as v', 'v.ref', 'f.version_ref')
      .where('f.collected', false)
      .whereIn('f.status', scope.statuses)
      .modify(q => {
        if (scope.artifactRefs) q.whereIn('v.artifact_ref', scope.artifactRefs);
        if (scope.processor !== undefined || scope.id !== undefined || scope.filter) {
          q.whereIn('v.artifact_ref', artifacts);
        }
        if (scope.errorKind) q.where('f.error_kind', scope.errorKind);
        // Failures record their time in queued_at.
        if (scope.settledBeforeMs !== undefined) q.where('f.queued_at', '<=', msAgo(scope.settledBeforeMs));
      })
      .select('f.ref', 'v.artifact_ref');
    let moved = 0;
    for (const part of chunks(rows.map(r => r.ref))) {
      moved += await tx('artifact_files').whereIn('ref', part).whereIn('status', scope.statuses).update(AFRESH);
    }
    return { moved, artifactRefs: [...new Set(rows.map(r => r.artifact_ref))] };
  });
}
