import { JsonObject } from '@backstage/types';
import {
  ArtifactDependency,
  ArtifactFile,
  ArtifactVersion,
  MirrorRun,
} from '../types';
import { StoredArtifact } from './BackpackStore';

// Rows as the drivers return them. SQLite gives booleans as 0/1, timestamps
// as the strings we stored and counts as numbers; PostgreSQL gives booleans,
// Date objects and bigint counts as strings. The mappers below even that out.

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
  created_at: string | Date;
  updated_at: string | Date;
  created_by: string | null;
}

export interface VersionRow {
  ref: number;
  artifact_ref: number;
  version: string;
  status: string;
  selection: string;
  discovered_at: string | Date;
  published_at: string | Date | null;
}

export interface FileRow {
  ref: number;
  version_ref: number;
  name: string;
  uri: string;
  folder: string | null;
  storage_key: string;
  integrity_algorithm: string | null;
  integrity_digest: string | null;
  size: number | string | null;
  verified: boolean | number;
  status: string;
  collected: boolean | number;
  collected_at: string | Date | null;
  collected_digest: string | null;
  error: string | null;
  error_kind?: string | null;
  attempts: number;
  queued_at: string | Date | null;
  locked_by: string | null;
  locked_until: string | Date | null;
  run_id: string | null;
}

export interface DependencyRow {
  ref: number;
  version_ref: number;
  processor: string;
  dependency_id: string;
  range: string;
  kind: string;
  config: string;
  resolved: string;
  /** What the processor declared: the spec can never be mirrored. */
  unresolvable: string | null;
  /** Why the last run could not resolve the range. */
  resolution_error: string | null;
}

export interface RunRow {
  id: string;
  trigger: string;
  scope_processor: string | null;
  scope_id: string | null;
  requested_by: string | null;
  status: string;
  claimed_by: string | null;
  created_at: string | Date;
  started_at: string | Date | null;
  heartbeat_at: string | Date | null;
  finished_at: string | Date | null;
  error: string | null;
  artifacts: number | string;
  versions_selected: number | string;
  files_queued: number | string;
  files_collected: number | string;
  files_failed: number | string;
  artifacts_failed?: number | string;
  files_parked?: number | string;
  bytes: number | string;
}

export function toIso(value: string | Date): string {
  if (value instanceof Date) return value.toISOString();
  // SQLite's CURRENT_TIMESTAMP format, in case a row was written by hand.
  const normalized = /^\d{4}-\d{2}-\d{2} \d/.test(value)
    ? `${value.replace(' ', 'T')}Z`
    : value;
  return new Date(normalized).toISOString();
}

const optionalIso = (value: string | Date | null | undefined) =>
  value ? toIso(value) : undefined;

export const toNumber = (value: unknown): number =>
  value === null || value === undefined ? 0 : Number(value);

export const toBoolean = (value: unknown): boolean =>
  value === true || value === 1 || value === '1' || value === 't';

export function fromJson<T>(text: string | null | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function toArtifact(row: ArtifactRow): StoredArtifact {
  return {
    ref: row.ref,
    processor: row.processor,
    id: row.id,
    filter: row.filter ?? undefined,
    filterType: (row.filter_type ?? undefined) as StoredArtifact['filterType'],
    config: fromJson<JsonObject>(row.config, {}),
    root: toBoolean(row.is_root),
    dependencyPolicy: row.dependency_policy as StoredArtifact['dependencyPolicy'],
    status: row.status as StoredArtifact['status'],
    lastRunId: row.last_run_id ?? undefined,
    lastRunAt: optionalIso(row.last_run_at),
    lastError: row.last_error ?? undefined,
    ...(row.warnings ? { warnings: fromJson<string[]>(row.warnings, []) } : {}),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    createdBy: row.created_by ?? undefined,
    validators: fromJson(row.validators, undefined),
    tags: fromJson(row.tags, undefined),
  };
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

export function toFile(row: FileRow): ArtifactFile {
  return {
    name: row.name,
    uri: row.uri,
    folder: row.folder ?? undefined,
    storageKey: row.storage_key,
    integrity:
      row.integrity_algorithm && row.integrity_digest
        ? {
            algorithm: row.integrity_algorithm as NonNullable<
              ArtifactFile['integrity']
            >['algorithm'],
            digest: row.integrity_digest,
          }
        : undefined,
    size: row.size === null ? undefined : toNumber(row.size),
    verified: toBoolean(row.verified),
    status: row.status as ArtifactFile['status'],
    collected: toBoolean(row.collected),
    collectedAt: optionalIso(row.collected_at),
    error: row.error ?? undefined,
    errorKind: (row.error_kind ?? undefined) as ArtifactFile['errorKind'],
    attempts: row.attempts,
  };
}

export function toDependency(row: DependencyRow): ArtifactDependency {
  return {
    processor: row.processor,
    id: row.dependency_id,
    range: row.range,
    kind: row.kind as ArtifactDependency['kind'],
    config: fromJson<JsonObject>(row.config, {}),
    resolved: fromJson<string[]>(row.resolved, []),
    unresolvable: row.unresolvable ?? row.resolution_error ?? undefined,
  };
}

export function toRun(row: RunRow): MirrorRun {
  return {
    id: row.id,
    trigger: row.trigger as MirrorRun['trigger'],
    scope:
      row.scope_processor && row.scope_id
        ? { processor: row.scope_processor, id: row.scope_id }
        : undefined,
    requestedBy: row.requested_by ?? undefined,
    status: row.status as MirrorRun['status'],
    createdAt: toIso(row.created_at),
    startedAt: optionalIso(row.started_at),
    finishedAt: optionalIso(row.finished_at),
    error: row.error ?? undefined,
    counters: {
      artifacts: toNumber(row.artifacts),
      artifactsFailed: toNumber(row.artifacts_failed),
      versionsSelected: toNumber(row.versions_selected),
      filesQueued: toNumber(row.files_queued),
      filesCollected: toNumber(row.files_collected),
      filesFailed: toNumber(row.files_failed),
      filesParked: toNumber(row.files_parked),
      bytes: toNumber(row.bytes),
    },
  };
}
