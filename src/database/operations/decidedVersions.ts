import { Knex } from 'knex';
import { ArtifactVersionStatus } from '../../types';
import { chunks, LOOKUP_CHUNK } from '../chunks';
import { fromJson } from '../rows/coerce';
import { DecidedVersion } from '../VersionGraphStore';

/** Shared by the versions read without their reasons; frozen, so that nothing adds to them. */
const NO_REASONS: DecidedVersion['selection'] = Object.freeze([]) as unknown as DecidedVersion['selection'];

/**
 * The versions of many artifacts that have one of some statuses, by
 * artifact ref (every ref asked for has an entry): one statement per
 * {@link LOOKUP_CHUNK} artifacts through `artifact_versions_status_idx`,
 * only the columns a run's version events compare; with `reasons: false`
 * not the reasons either (empty), for a comparison of statuses.
 */
export async function decidedVersions(
  db: Knex,
  artifactRefs: number[],
  statuses: ArtifactVersionStatus[],
  options: { reasons?: boolean } = {},
): Promise<Map<number, DecidedVersion[]>> {
  const reasons = options.reasons !== false;
  const result = new Map<number, DecidedVersion[]>(artifactRefs.map(ref => [ref, []]));
  for (const part of chunks([...new Set(artifactRefs)], LOOKUP_CHUNK)) {
    const rows: Array<{ artifact_ref: number; version: string; status: string; selection?: string }> = await db(
      'artifact_versions',
    )
      .whereIn('artifact_ref', part)
      .whereIn('status', statuses)
      // Newest first, as the API lists versions.
      .orderBy('ref', 'desc')
      .select(reasons ? ['artifact_ref', 'version', 'status', 'selection'] : ['artifact_ref', 'version', 'status']);
    for (const row of rows) {
      result.get(row.artifact_ref)!.push({
        version: row.version,
        status: row.status as ArtifactVersionStatus,
        // Left out, the reasons are neither sent nor parsed: every
        // selected version of a full run is read this way.
        selection: reasons ? fromJson(row.selection, []) : NO_REASONS,
      });
    }
  }
  return result;
}
