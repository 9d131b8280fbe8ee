import { Knex } from 'knex';
import { chunks, LOOKUP_CHUNK } from '../chunks';
import { DependencyRow, dependencyKey, dependencyRowKey } from '../rows/dependencies';
import { DependencyResolution } from '../VersionGraphStore';

type ResolutionRow = Pick<
  DependencyRow,
  | 'ref'
  | 'version_ref'
  | 'processor'
  | 'dependency_id'
  | 'kind'
  | 'range'
  | 'resolved'
  | 'unresolvable'
  | 'resolution_error'
>;

/**
 * Records how the dependencies of an artifact's versions resolved in a
 * run, in one transaction, writing only rows that change: the versions a
 * range resolved to, or the run's reason why none. Resolutions of
 * dependencies that are not stored are ignored. Returns rows written.
 */
export function setResolutions(
  db: Knex,
  artifactRef: number,
  resolutions: DependencyResolution[],
): Promise<number> {
  return setResolutionsOf(db, [{ artifactRef, resolutions }]);
}

/**
 * {@link setResolutions} for many artifacts at once. Only the dependencies
 * of the versions resolved are read, by version ref (the leading column of
 * `artifact_dependencies_key`), never those of every version an artifact
 * has: that is what kept a run linear in the versions it selects.
 */
export async function setResolutionsOf(
  db: Knex,
  entries: Array<{ artifactRef: number; resolutions: DependencyResolution[] }>,
): Promise<number> {
  let written = 0;
  const pairs = new Map<string, [number, string]>();
  for (const { artifactRef, resolutions } of entries) {
    for (const r of resolutions) pairs.set(`${artifactRef}\0${r.version}`, [artifactRef, r.version]);
  }
  if (pairs.size === 0) return 0;
  await db.transaction(async tx => {
    // The versions by (artifact, version) through `artifact_versions_key`,
    // then their dependencies by version ref: no join that would have the
    // planner hash every version of the mirror.
    const versionOf = new Map<number, string>();
    for (const part of chunks([...pairs.values()])) {
      const rows: Array<{ ref: number; artifact_ref: number; version: string }> = await tx('artifact_versions')
        .whereIn(['artifact_ref', 'version'], part)
        .select('ref', 'artifact_ref', 'version');
      for (const row of rows) versionOf.set(row.ref, `${row.artifact_ref}\0${row.version}`);
    }
    const byKey = new Map<string, ResolutionRow>();
    for (const part of chunks([...versionOf.keys()], LOOKUP_CHUNK)) {
      const rows: ResolutionRow[] = await tx('artifact_dependencies')
        .whereIn('version_ref', part)
        .select(
          'ref',
          'version_ref',
          'processor',
          'dependency_id',
          'kind',
          'range',
          'resolved',
          'unresolvable',
          'resolution_error',
        );
      for (const row of rows) byKey.set(dependencyRowKey(versionOf.get(row.version_ref)!, row), row);
    }
    for (const { artifactRef, resolutions } of entries) {
      for (const resolution of resolutions) {
        const row = byKey.get(dependencyKey(`${artifactRef}\0${resolution.version}`, resolution));
        if (!row) continue;
        const resolved = JSON.stringify(resolution.resolved);
        // The processor's declared reason stays in `unresolvable`; only a
        // run's own reason is a resolution error, tried again next run.
        const resolutionError =
          resolution.unresolvable !== undefined && resolution.unresolvable !== row.unresolvable
            ? resolution.unresolvable
            : null;
        if (row.resolved !== resolved || (row.resolution_error ?? null) !== resolutionError) {
          written += await tx('artifact_dependencies')
            .where({ ref: row.ref })
            .update({ resolved, resolution_error: resolutionError });
        }
      }
    }
  });
  return written;
}
