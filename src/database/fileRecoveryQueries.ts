import { Knex } from 'knex';
import { ArtifactFilter, FileResetScope } from './BackpackStore';

// Queries that bring files back into collection: resetting failed and parked
// files, and taking back the leases of workers that died. Used by
// DatabaseBackpackStore; SQLite and PostgreSQL alike.

/** Rows per UPDATE … WHERE ref IN (…); well under SQLite's variable limit. */
const CHUNK = 500;

const now = () => new Date().toISOString();

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * Failed or parked files in the scope back to pending, with no attempts and
 * detached from the run that queued them: that run counted them already and
 * its report stays as it was. Returns how many files moved, and of which
 * artifacts.
 */
export async function resetFiles(
  db: Knex,
  scope: FileResetScope,
  applyFilter: (builder: Knex.QueryBuilder, filter: ArtifactFilter) => void,
): Promise<{ moved: number; artifactRefs: number[] }> {
  // A run may name thousands of artifacts: bounded lists per statement.
  const groups = scope.artifactRefs ? chunks(scope.artifactRefs) : [undefined];
  let moved = 0;
  const artifactRefs = new Set<number>();
  for (const group of groups) {
    const reset = await resetGroup(db, { ...scope, artifactRefs: group }, applyFilter);
    moved += reset.moved;
    reset.artifactRefs.forEach(ref => artifactRefs.add(ref));
  }
  return { moved, artifactRefs: [...artifactRefs] };
}

async function resetGroup(
  db: Knex,
  scope: FileResetScope,
  applyFilter: (builder: Knex.QueryBuilder, filter: ArtifactFilter) => void,
): Promise<{ moved: number; artifactRefs: number[] }> {
  return db.transaction(async tx => {
    const artifacts = tx('artifacts').select('ref').where(q => {
      if (scope.processor !== undefined) q.where('processor', scope.processor);
      if (scope.id !== undefined) q.where('id', scope.id);
      if (scope.filter) applyFilter(q, scope.filter);
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
        if (scope.settledBeforeMs !== undefined) {
          // Failures record their time in queued_at.
          const cutoff = new Date(Date.now() - scope.settledBeforeMs).toISOString();
          q.where('f.queued_at', '<=', cutoff);
        }
      })
      .select('f.ref', 'v.artifact_ref');
    let moved = 0;
    for (const part of chunks(rows.map(r => r.ref))) {
      moved += await tx('artifact_files')
        .whereIn('ref', part)
        .whereIn('status', scope.statuses)
        .update({
          status: 'pending',
          attempts: 0,
          queued_at: null,
          run_id: null,
          locked_by: null,
          locked_until: null,
        });
    }
    return { moved, artifactRefs: [...new Set(rows.map(r => r.artifact_ref))] };
  });
}

/**
 * Takes back the leases that expired on files not collected: their worker
 * died or stopped renewing. The files become queued again (queued_at now),
 * so that exactly one caller enqueues each: the conditional update decides.
 * Returns the refs and runs of the files this call took back.
 */
export async function takeExpiredLeases(
  db: Knex,
): Promise<Array<{ ref: number; runId?: string }>> {
  const timestamp = now();
  const candidates: Array<{ ref: number; run_id: string | null }> = await db(
    'artifact_files',
  )
    .where('collected', false)
    .whereIn('status', ['pending', 'queued', 'failed'])
    .whereNotNull('locked_until')
    .where('locked_until', '<', timestamp)
    .select('ref', 'run_id');
  const taken: Array<{ ref: number; runId?: string }> = [];
  const runOf = new Map(candidates.map(c => [c.ref, c.run_id ?? undefined]));
  for (const part of chunks(candidates.map(c => c.ref))) {
    const moved: Array<{ ref: number } | number> = await db('artifact_files')
      .whereIn('ref', part)
      .where('collected', false)
      .whereNotNull('locked_until')
      .where('locked_until', '<', timestamp)
      .update(
        { status: 'queued', queued_at: timestamp, locked_by: null, locked_until: null },
        ['ref'],
      );
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

/** Ends the leases of the given workers at once; returns how many ended. */
export async function expireLeases(db: Knex, workers: string[]): Promise<number> {
  if (workers.length === 0) return 0;
  let expired = 0;
  for (const part of chunks(workers)) {
    expired += await db('artifact_files')
      .whereIn('locked_by', part)
      .where('collected', false)
      .update({ locked_until: new Date(0).toISOString() });
  }
  return expired;
}
