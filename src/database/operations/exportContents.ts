import { Knex } from 'knex';
import { JsonObject } from '@backstage/types';
import { CONTENT_KEY_ROOT } from '../../storage/fileStorageKey';
import { chunks } from '../chunks';
import { CollectedArtifact, CollectedFile, ExportWindow } from '../ExportStore';
import { fromJson, optionalIso } from '../rows/coerce';
import { DependencyRow, toPublishedDependency } from '../rows/dependencies';
import { COLLECTED_FILE_COLUMNS, CollectedFileRow, toCollectedFile } from '../rows/files';

// What an export bundle carries: the files collected in its window, page by
// page, and the artifacts they belong to with everything collected up to
// the cut-off. Pages are by keys that never change (refs, ids), so that a
// build sees each file once while collection and the key migration go on.

/** Files collected in the window, joined to their versions (`v`) and artifacts (`a`). */
function windowQuery(db: Knex, window: ExportWindow): Knex.QueryBuilder {
  const query = db('artifact_files as f')
    .join('artifact_versions as v', 'v.ref', 'f.version_ref')
    .join('artifacts as a', 'a.ref', 'v.artifact_ref')
    .where('f.collected', true)
    .where('f.collected_at', '<=', window.until)
    // A version admission denied (or a person rejected) after its files
    // were collected, or one waiting for approval, never leaves in a bundle.
    .whereNotIn('v.status', ['denied', 'pending-approval']);
  if (window.after) query.where('f.collected_at', '>', window.after);
  if (window.processors) query.whereIn('a.processor', window.processors);
  return query;
}

/**
 * One page of the files collected in the window, by ref; pass the last of a
 * page for the next. A content-addressed object some file had collected
 * before the window is left out: an earlier bundle carried it already.
 */
export async function listCollectedFiles(
  db: Knex,
  window: ExportWindow,
  page: { after?: { ref: number }; limit: number },
): Promise<CollectedFile[]> {
  const query = windowQuery(db, window).select(COLLECTED_FILE_COLUMNS).orderBy('f.ref').limit(page.limit);
  if (page.after) query.where('f.ref', '>', page.after.ref);
  if (window.after) {
    query.whereNotExists(
      db('artifact_files as e')
        .whereRaw('e.storage_key = f.storage_key')
        .where('e.storage_key', 'like', `${CONTENT_KEY_ROOT}/sha256/%`)
        .where('e.collected', true)
        .where('e.collected_at', '<=', window.after)
        .select(db.raw('1')),
    );
  }
  return (await query).map(toCollectedFile);
}

/** The current storage key of a collected file, e.g. after the key migration moved it. */
export async function getCollectedStorageKey(db: Knex, fileRef: number): Promise<string | undefined> {
  const row = await db('artifact_files').where({ ref: fileRef, collected: true }).first('storage_key');
  return row?.storage_key;
}

/** One page of the artifacts with a file collected in the window, by ref. */
export async function listTouchedArtifacts(
  db: Knex,
  window: ExportWindow,
  page: { afterRef?: number; limit: number },
): Promise<Array<{ ref: number; processor: string; id: string }>> {
  const query = windowQuery(db, window).distinct('a.ref', 'a.processor', 'a.id').orderBy('a.ref').limit(page.limit);
  if (page.afterRef !== undefined) query.where('a.ref', '>', page.afterRef);
  return (await query).map((row: { ref: number; processor: string; id: string }) => ({
    ref: row.ref,
    processor: row.processor,
    id: row.id,
  }));
}

/** One page of the ids of a processor's artifacts with a file collected up to `until`, by id. */
export async function listCollectedArtifactIds(
  db: Knex,
  processor: string,
  until: string,
  page: { afterId?: string; limit: number },
): Promise<string[]> {
  const query = windowQuery(db, { until, processors: [processor] })
    .distinct('a.id')
    .orderBy('a.id')
    .limit(page.limit);
  if (page.afterId !== undefined) query.where('a.id', '>', page.afterId);
  return (await query).map((row: { id: string }) => row.id);
}

/**
 * An artifact with its files collected up to `until`, version by version
 * (versions without one are left out), and the dependencies those versions
 * declare.
 */
export async function getCollectedArtifact(
  db: Knex,
  key: number | { processor: string; id: string },
  until: string,
): Promise<CollectedArtifact | undefined> {
  const artifact:
    | { ref: number; processor: string; id: string; tags: string | null; config: string | null; validators: string | null }
    | undefined = await db('artifacts')
    .where(typeof key === 'number' ? { ref: key } : { processor: key.processor, id: key.id })
    .first('ref', 'processor', 'id', 'tags', 'config', 'validators');
  if (!artifact) return undefined;
  const ref = artifact.ref;
  const fileRows: Array<
    CollectedFileRow & { version_ref: number; published_at: string | Date | null; metadata: string | null }
  > = await windowQuery(db, { until })
      .where('a.ref', ref)
      .select([...COLLECTED_FILE_COLUMNS, 'f.version_ref', 'v.published_at', 'v.metadata'])
      .orderBy([
        { column: 'f.version_ref', order: 'asc' },
        { column: 'f.name', order: 'asc' },
      ]);
  const versions = new Map<number, CollectedArtifact['versions'][number]>();
  for (const row of fileRows) {
    let version = versions.get(row.version_ref);
    if (!version) {
      version = {
        version: row.version,
        publishedAt: optionalIso(row.published_at),
        ...(row.metadata !== null && row.metadata !== undefined ? { metadata: row.metadata } : {}),
        dependencies: [],
        files: [],
      };
      versions.set(row.version_ref, version);
    }
    version.files.push(toCollectedFile(row));
  }
  for (const part of chunks([...versions.keys()])) {
    const rows: DependencyRow[] = await db('artifact_dependencies')
      .whereIn('version_ref', part)
      .select('version_ref', 'processor', 'dependency_id', 'range', 'kind', 'config', 'resolved', 'unresolvable')
      .orderBy('ref');
    for (const row of rows) versions.get(row.version_ref)!.dependencies.push(toPublishedDependency(row));
  }
  return {
    ref: artifact.ref,
    processor: artifact.processor,
    id: artifact.id,
    tags: fromJson<Record<string, string> | undefined>(artifact.tags, undefined),
    // A dependency's stored config is empty; it was discovered under its parents'.
    config:
      fromJson<{ config?: JsonObject } | undefined>(artifact.validators, undefined)?.config ??
      fromJson<JsonObject>(artifact.config, {}),
    versions: [...versions.values()],
  };
}
