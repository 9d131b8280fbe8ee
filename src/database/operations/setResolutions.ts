import { Knex } from 'knex';
import { DependencyRow, dependencyKey, dependencyRowKey } from '../rows/dependencies';
import { DependencyResolution } from '../VersionGraphStore';

/**
 * Records how the dependencies of an artifact's versions resolved in a
 * run, in one transaction, writing only rows that change: the versions a
 * range resolved to, or the run's reason why none. Resolutions of
 * dependencies that are not stored are ignored. Returns rows written.
 */
export async function setResolutions(
  db: Knex,
  artifactRef: number,
  resolutions: DependencyResolution[],
): Promise<number> {
  let written = 0;
  await db.transaction(async tx => {
    const rows: Array<
      Pick<
        DependencyRow,
        'ref' | 'processor' | 'dependency_id' | 'kind' | 'range' | 'resolved' | 'unresolvable' | 'resolution_error'
      > & { version: string }
    > = await tx('artifact_dependencies as d')
      .join('artifact_versions as v', 'v.ref', 'd.version_ref')
      .where('v.artifact_ref', artifactRef)
      .select(
        'd.ref',
        'd.processor',
        'd.dependency_id',
        'd.kind',
        'd.range',
        'd.resolved',
        'd.unresolvable',
        'd.resolution_error',
        'v.version',
      );
    const byKey = new Map(rows.map(r => [dependencyRowKey(r.version, r), r]));
    for (const resolution of resolutions) {
      const row = byKey.get(dependencyKey(resolution.version, resolution));
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
  });
  return written;
}
