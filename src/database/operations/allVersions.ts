import { Knex } from 'knex';
import { ArtifactVersionStatus } from '../../types';
import { optionalIso, toBoolean } from '../rows/coerce';
import { DependencyRow, toStoredDependency } from '../rows/dependencies';
import { ISO_TIMESTAMPS } from '../rows/isoTimestamps';
import { StoredDependency, WalkedVersion } from '../VersionGraphStore';

/** The columns of a dependency a run reads back (not its own ref). */
const DEPENDENCY_COLUMNS = [
  'd.version_ref',
  'd.processor',
  'd.dependency_id',
  'd.range',
  'd.kind',
  'd.config',
  'd.resolved',
  'd.unresolvable',
  'd.resolution_error',
];

/**
 * Every stored version by artifact ref, the selected ones with their
 * dependencies, in two statements: what a full run reads up front. A run
 * reaches (nearly) every stored artifact, so one pass over each table is
 * cheaper than chunks of artifacts, each of which PostgreSQL may answer by
 * scanning the whole table on a mid-sized mirror. Only what a run walks:
 * not the reasons (JSON) or discovery time of every version, and the
 * publication time as PostgreSQL's text, not parsed into a Date and printed
 * again.
 */
export async function allVersions(db: Knex): Promise<Map<number, WalkedVersion[]>> {
  const rows: Array<{
    ref: number;
    artifact_ref: number;
    version: string;
    status: string;
    published_at: string | Date | null;
    described: boolean | number;
  }> = await db('artifact_versions')
    .orderBy('ref')
    .options({ types: ISO_TIMESTAMPS })
    // Not the upstream's verbatim record: the walk never reads it.
    .select('ref', 'artifact_ref', 'version', 'status', 'published_at', 'described');
  const dependencyRows: Array<Omit<DependencyRow, 'ref'>> = await db('artifact_dependencies as d')
    .join('artifact_versions as v', 'v.ref', 'd.version_ref')
    .where('v.status', 'selected')
    .select(DEPENDENCY_COLUMNS);
  const dependencies = new Map<number, StoredDependency[]>();
  for (const row of dependencyRows) {
    const list = dependencies.get(row.version_ref);
    if (list) list.push(toStoredDependency(row));
    else dependencies.set(row.version_ref, [toStoredDependency(row)]);
  }
  const byArtifact = new Map<number, WalkedVersion[]>();
  for (const v of rows) {
    const version: WalkedVersion = {
      version: v.version,
      status: v.status as ArtifactVersionStatus,
      publishedAt: optionalIso(v.published_at),
      ref: v.ref,
      described: toBoolean(v.described),
      dependencies: dependencies.get(v.ref) ?? [],
    };
    const list = byArtifact.get(v.artifact_ref);
    if (list) list.push(version);
    else byArtifact.set(v.artifact_ref, [version]);
  }
  return byArtifact;
}
