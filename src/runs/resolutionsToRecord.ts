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

/**
 * A stored resolution as the store compares it: what it resolved to and
 * the run's own error ('' for none). Compared field by field rather than
 * as a JSON signature: a full run compares every edge it walked.
 */
interface HeldResolution {
  resolved: string[];
  error: string;
}

/**
 * The stored resolutions of the dependencies of selected versions, by
 * version and dependency; a dependency whose stored error is masked by
 * the processor's declared reason, or declared twice, has none (it is
 * always recorded, as before).
 */
function storedResolutions(stored: WalkedVersion[]): Map<string, Map<string, HeldResolution | undefined>> {
  const result = new Map<string, Map<string, HeldResolution | undefined>>();
  for (const version of stored) {
    if (version.status !== 'selected') continue;
    const byKey = new Map<string, HeldResolution | undefined>();
    for (const dependency of version.dependencies) {
      const key = dependencyKey('', dependency);
      const known = byKey.has(key) || dependency.declaredUnresolvable !== undefined;
      byKey.set(key, known ? undefined : { resolved: dependency.resolved, error: dependency.unresolvable ?? '' });
    }
    result.set(version.version, byKey);
  }
  return result;
}

/** A dependency as the walk resolved it. */
type Resolution = Omit<DependencyResolution, 'version'>;

function sameVersions(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Whether the store holds this resolution as the walk made it. */
function unchanged(stored: Map<string, HeldResolution | undefined> | undefined, dependency: Resolution): boolean {
  const held = stored?.get(dependencyKey('', dependency));
  return (
    held !== undefined &&
    held.error === (dependency.unresolvable ?? '') &&
    sameVersions(held.resolved, dependency.resolved)
  );
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
  const held = stored && storedResolutions(stored);
  return artifact.selected.flatMap(v => {
    if (described.has(`${artifactRef}\0${v.version}`)) return [];
    const ofVersion = held?.get(v.version);
    return v.dependencies
      .filter(d => !unchanged(ofVersion, d))
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
