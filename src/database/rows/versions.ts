import { ArtifactVersion } from '../../types';
import { fromJson, optionalIso, toIso } from './coerce';

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

export function toVersion(row: VersionRow): ArtifactVersion {
  return {
    version: row.version,
    status: row.status as ArtifactVersion['status'],
    selection: fromJson(row.selection, []),
    discoveredAt: toIso(row.discovered_at),
    publishedAt: optionalIso(row.published_at),
  };
}
