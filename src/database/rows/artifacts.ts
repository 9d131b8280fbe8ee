import { JsonObject } from '@backstage/types';
import { Artifact } from '../../types';
import { NewArtifact, StoredArtifact } from '../ArtifactStore';
import { fromJson, optionalIso, toBoolean, toIso } from './coerce';

/** A row of `artifacts`. */
export interface ArtifactRow {
  ref: number;
  processor: string;
  id: string;
  filter: string | null;
  filter_type: string | null;
  config: string;
  is_root: boolean | number;
  dependency_policy: string;
  status: string;
  last_run_id: string | null;
  last_run_at: string | Date | null;
  last_error: string | null;
  validators: string | null;
  tags: string | null;
  warnings?: string | null;
  admission?: string | null;
  created_at: string | Date;
  updated_at: string | Date;
  created_by: string | null;
}

/** As the API shows it, for listings: without the internal key and bookkeeping. */
export function toListedArtifact(row: ArtifactRow): Artifact {
  return {
    processor: row.processor,
    id: row.id,
    filter: row.filter ?? undefined,
    filterType: (row.filter_type ?? undefined) as StoredArtifact['filterType'],
    config: fromJson<JsonObject>(row.config, {}),
    root: toBoolean(row.is_root),
    dependencyPolicy: row.dependency_policy as StoredArtifact['dependencyPolicy'],
    ...(row.admission ? { admission: fromJson<NonNullable<StoredArtifact['admission']>>(row.admission, {}) } : {}),
    status: row.status as StoredArtifact['status'],
    lastRunId: row.last_run_id ?? undefined,
    lastRunAt: optionalIso(row.last_run_at),
    lastError: row.last_error ?? undefined,
    ...(row.warnings ? { warnings: fromJson<string[]>(row.warnings, []) } : {}),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    createdBy: row.created_by ?? undefined,
  };
}

export function toArtifact(row: ArtifactRow): StoredArtifact {
  // Set on the listed form rather than spread into a copy, which V8 does
  // on a slow path for an object this wide.
  const stored = toListedArtifact(row) as StoredArtifact;
  stored.ref = row.ref;
  stored.validators = fromJson(row.validators, undefined);
  stored.tags = fromJson(row.tags, undefined);
  return stored;
}

/** The row of a new artifact, pending until its first discovery. */
export function newArtifactRow(artifact: NewArtifact, timestamp: string): Partial<ArtifactRow> {
  return {
    processor: artifact.processor,
    id: artifact.id,
    filter: artifact.filter ?? null,
    filter_type: artifact.filterType ?? null,
    config: JSON.stringify(artifact.config ?? {}),
    is_root: artifact.root,
    dependency_policy: artifact.dependencyPolicy,
    admission: artifact.admission && Object.keys(artifact.admission).length > 0 ? JSON.stringify(artifact.admission) : null,
    status: 'pending',
    created_at: timestamp,
    updated_at: timestamp,
    created_by: artifact.createdBy ?? null,
  };
}
