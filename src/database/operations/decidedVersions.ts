import { Knex } from 'knex';
import { ArtifactVersionStatus } from '../../types';
import { chunks, LOOKUP_CHUNK } from '../chunks';
import { fromJson } from '../rows/coerce';
import { DecidedVersion } from '../VersionGraphStore';

/**
 * The versions of many artifacts that have one of some statuses, by
 * artifact ref (every ref asked for has an entry): one statement per
 * {@link LOOKUP_CHUNK} artifacts through `artifact_versions_status_idx`,
 * only the columns a run's version events compare.
 */
export async function decidedVersions(
  db: Knex,
  artifactRefs: number[],
  statuses: ArtifactVersionStatus[],
): Promise<Map<number, DecidedVersion[]>> {
  const result = new Map<number, DecidedVersion[]>(artifactRefs.map(ref => [ref, []]));
  for (const part of chunks([...new Set(artifactRefs)], LOOKUP_CHUNK)) {
    const rows: Array<{ artifact_ref: number; version: string; status: string; selection: string }> = await db(
      'artifact_versions',
    )
      .whereIn('artifact_ref', part)
      .whereIn('status', statuses)
      // Newest first, as the API lists versions.
      .orderBy('ref', 'desc')
      .select('artifact_ref', 'version', 'status', 'selection');
    for (const row of rows) {
      result.get(row.artifact_ref)!.push({
        version: row.version,
        status: row.status as ArtifactVersionStatus,
        selection: fromJson(row.selection, []),
      });
    }
  }
  return result;
}
