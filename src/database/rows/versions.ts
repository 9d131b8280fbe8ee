import { ArtifactVersion } from '../../types';
import type { StoredVersion } from '../VersionGraphStore';
import { fromJson, optionalIso, toBoolean, toIso } from './coerce';

/** A row of `artifact_versions`. */
export interface VersionRow {
  ref: number;
  artifact_ref: number;
  version: string;
  status: string;
  /** JSON: the `SelectionReason`s. */
  selection: string;
  discovered_at: string | Date;
  published_at: string | Date | null;
  /** The upstream's record of the version, verbatim (a Cargo index line). */
  metadata?: string | null;
  /** Whether the version's files and dependencies are stored (a listing's are not). */
  described?: boolean | number;
}

/** The columns {@link toVersion} reads, for listings that need nothing else. */
export const VERSION_COLUMNS = ['version', 'status', 'selection', 'discovered_at', 'published_at'];

/** As the API shows it. */
export function toVersion(row: VersionRow): ArtifactVersion {
  return {
    version: row.version,
    status: row.status as ArtifactVersion['status'],
    selection: fromJson(row.selection, []),
    discoveredAt: toIso(row.discovered_at),
    publishedAt: optionalIso(row.published_at),
  };
}

/**
 * A version row as stored, without its dependencies. The migration gave
 * rows from before the `described` column `true`; a read that leaves the
 * column out would count every version as described, so it must select it.
 */
export function toStoredVersion(row: VersionRow): Omit<StoredVersion, 'dependencies'> {
  return { ...toVersion(row), ref: row.ref, described: toBoolean(row.described) };
}
