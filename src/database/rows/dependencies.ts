import { JsonObject } from '@backstage/types';
import { ArtifactDependency } from '../../types';
import { DeclaredDependency } from '../MirrorReadStore';
import { StoredDependency } from '../VersionGraphStore';
import { fromJson } from './coerce';

/** A row of `artifact_dependencies`. */
export interface DependencyRow {
  ref: number;
  version_ref: number;
  processor: string;
  dependency_id: string;
  range: string;
  kind: string;
  /** JSON: the config the dependency is discovered under. */
  config: string;
  /** JSON: the versions the last run resolved the range to. */
  resolved: string;
  /** What the processor declared: the spec can never be mirrored. */
  unresolvable: string | null;
  /** Why the last run could not resolve the range. */
  resolution_error: string | null;
}

/**
 * The identity of a dependency of a version: a version may require one
 * package under two ranges (npm aliases) and needs both, so the range is
 * part of it.
 */
export function dependencyKey(
  version: number | string,
  dependency: { processor: string; id: string; kind: string; range: string },
): string {
  return [version, dependency.processor, dependency.id, dependency.kind, dependency.range].join('\0');
}

/** The same key for a row. */
export const dependencyRowKey = (
  version: number | string,
  row: Pick<DependencyRow, 'processor' | 'dependency_id' | 'kind' | 'range'>,
) => dependencyKey(version, { ...row, id: row.dependency_id });

/** As the API shows it: unresolvable for the processor's reason or else the last run's. */
export function toDependency(row: DependencyRow): ArtifactDependency {
  return {
    ...toPublishedDependency(row),
    unresolvable: row.unresolvable ?? row.resolution_error ?? undefined,
  };
}

/**
 * As the runner reads it back: with the processor's reason apart from the
 * run's. Built in one object rather than spread from {@link toDependency}:
 * a full run maps the dependencies of every selected version, and each
 * spread is one more object per row.
 */
export function toStoredDependency(row: Omit<DependencyRow, 'ref'>): StoredDependency {
  const dependency: StoredDependency = {
    processor: row.processor,
    id: row.dependency_id,
    range: row.range,
    kind: row.kind as StoredDependency['kind'],
    config: fromJson<JsonObject>(row.config, {}),
    resolved: fromJson<string[]>(row.resolved, []),
    unresolvable: row.unresolvable ?? row.resolution_error ?? undefined,
  };
  if (row.unresolvable) dependency.declaredUnresolvable = row.unresolvable;
  return dependency;
}

/**
 * As the upstream declared it, for export bundles: a run's own resolution
 * error (an outage, say) is not part of what a bundle carries.
 */
export function toPublishedDependency(
  row: Pick<
    DependencyRow,
    'processor' | 'dependency_id' | 'range' | 'kind' | 'config' | 'resolved' | 'unresolvable'
  >,
): ArtifactDependency {
  return {
    ...toDeclaredDependency(row),
    config: fromJson<JsonObject>(row.config, {}),
    resolved: fromJson<string[]>(row.resolved, []),
    ...(row.unresolvable ? { unresolvable: row.unresolvable } : {}),
  };
}

/** Only what the version declared, for the registry views. */
export function toDeclaredDependency(
  row: Pick<DependencyRow, 'processor' | 'dependency_id' | 'range' | 'kind'>,
): DeclaredDependency {
  return {
    processor: row.processor,
    id: row.dependency_id,
    range: row.range,
    kind: row.kind as DeclaredDependency['kind'],
  };
}
