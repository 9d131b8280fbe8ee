import { Knex } from 'knex';
import { DependencyRow, toStoredDependency } from '../rows/dependencies';
import { toStoredVersion, VersionRow } from '../rows/versions';
import { StoredDependency, StoredVersion } from '../VersionGraphStore';

/**
 * Every stored version by artifact ref, the selected ones with their
 * dependencies, in two statements: what a full run reads up front. A run
 * reaches (nearly) every stored artifact, so one pass over each table is
 * cheaper than chunks of artifacts, each of which PostgreSQL may answer by
 * scanning the whole table on a mid-sized mirror.
 */
export async function allVersions(db: Knex): Promise<Map<number, StoredVersion[]>> {
  const rows: VersionRow[] = await db('artifact_versions')
    .orderBy('ref')
    // Not the upstream's verbatim record: the walk never reads it.
    .select('ref', 'artifact_ref', 'version', 'status', 'selection', 'discovered_at', 'published_at', 'described');
  const dependencyRows: DependencyRow[] = await db('artifact_dependencies as d')
    .join('artifact_versions as v', 'v.ref', 'd.version_ref')
    .where('v.status', 'selected')
    .select('d.*');
  const dependencies = new Map<number, StoredDependency[]>();
  for (const row of dependencyRows) {
    const list = dependencies.get(row.version_ref) ?? [];
    list.push(toStoredDependency(row));
    dependencies.set(row.version_ref, list);
  }
  const byArtifact = new Map<number, StoredVersion[]>();
  for (const v of rows) {
    const list = byArtifact.get(v.artifact_ref) ?? [];
    list.push({ ...toStoredVersion(v), dependencies: dependencies.get(v.ref) ?? [] });
    byArtifact.set(v.artifact_ref, list);
  }
  return byArtifact;
}
