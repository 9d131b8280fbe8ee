/**
 * Which of a walk's dependency resolutions a run records: those of the
 * versions it selected, less the ones stored with their dependencies
 * after the walk (see `describeSelected`), and less the ones the store
 * already holds unchanged. A no-op run thus records none, and the store
 * is not asked to read every selected version's dependencies back only
 * to find that nothing changed.
 */
import { ClosureArtifact } from '../closure/ClosureResolver';
import { DependencyResolution, WalkedVersion } from '../database/VersionGraphStore';
import { dependencyKey } from '../database/rows/dependencies';

/** A stored resolution as the store compares it: what it resolved to and the run's own error. */
function signature(resolved: string[], resolutionError: string | undefined): string {
  return `${JSON.stringify(resolved)}\0${resolutionError ?? ''}`;
}

/**
 * The signatures of the stored dependencies of selected versions, by
 * version and dependency; a dependency whose stored error is masked by
 * the processor's declared reason, or declared twice, has none (it is
 * always recorded, as before).
 */
function storedSignatures(stored: WalkedVersion[]): Map<string, Map<string, string | undefined>> {
  const result = new Map<string, Map<string, string | undefined>>();
  for (const version of stored) {
    if (version.status !== 'selected') continue;
    const byKey = new Map<string, string | undefined>();
    for (const dependency of version.dependencies) {
      const key = dependencyKey('', dependency);
      const known = byKey.has(key) || dependency.declaredUnresolvable !== undefined;
      byKey.set(key, known ? undefined : signature(dependency.resolved, dependency.unresolvable));
    }
    result.set(version.version, byKey);
  }
  return result;
}

/** A dependency as the walk resolved it. */
type Resolution = Omit<DependencyResolution, 'version'>;

/** Whether the store holds this resolution as the walk made it. */
function unchanged(stored: Map<string, string | undefined> | undefined, dependency: Resolution): boolean {
  const held = stored?.get(dependencyKey('', dependency));
  return held !== undefined && held === signature(dependency.resolved, dependency.unresolvable);
}

/**
 * The resolutions to record for one artifact the walk reached.
 *
 * @param artifactRef - the artifact's stored ref
 * @param described - versions (`artifactRef\0version`) stored with their resolutions after the walk
 * @param stored - the artifact's stored versions as the run read them on a 304, if it did
 */
export function resolutionsToRecord(
  artifact: ClosureArtifact,
  artifactRef: number,
  described: Set<string>,
  stored: WalkedVersion[] | undefined,
): DependencyResolution[] {
  const signatures = stored && storedSignatures(stored);
  return artifact.selected.flatMap(v => {
    if (described.has(`${artifactRef}\0${v.version}`)) return [];
    const held = signatures?.get(v.version);
    return v.dependencies
      .filter(d => !unchanged(held, d))
      .map(d => ({
        version: v.version,
        processor: d.processor,
        id: d.id,
        kind: d.kind,
        range: d.range,
        resolved: d.resolved,
        unresolvable: d.unresolvable,
      }));
  });
}
