import { JsonObject } from '@backstage/types';
import { ProcessorDependency } from '../types';
import { isValidMavenCoordinates } from './coordinates';
import { EffectivePom } from './EffectivePomBuilder';
import { parseMavenRange, toHardMavenRange } from './MavenVersionScheme';

/** Scopes a consumer of the artifact needs at run time. */
const RUNTIME_SCOPES = new Set(['compile', 'runtime']);

interface Entry {
  id: string;
  ranges: Set<string>;
  classifiers: Set<string>;
  unresolvable?: string;
  /** What was declared when it is unusable, kept as the dependency's range. */
  declared?: string;
}

/**
 * The direct dependencies Maven needs to build against and run a version:
 * its parent POM and imported BOMs (exactly the versions named), a
 * relocation target, and its compile and runtime scope dependencies that
 * are not optional. A dependency declared with a classifier asks for that
 * classified jar through its `config.classifiers`. Several declarations of
 * one artifact (say, two classifiers) become one dependency whose range is
 * the union of the declared ones.
 */
export function mavenDependencies(
  pom: EffectivePom,
  inheritedConfig: JsonObject,
  warn: (message: string) => void,
): ProcessorDependency[] {
  const self = `${pom.coordinates.groupId}:${pom.coordinates.artifactId}`;
  const entries = new Map<string, Entry>();
  const add = (
    groupId: string,
    artifactId: string,
    range: string | undefined,
    classifier?: string,
  ) => {
    if (!isValidMavenCoordinates({ groupId, artifactId })) {
      warn(`${self}: skipping dependency '${groupId}:${artifactId}' with unresolved coordinates`);
      return;
    }
    const id = `${groupId}:${artifactId}`;
    if (id === self) return;
    let entry = entries.get(id);
    if (!entry) {
      entry = { id, ranges: new Set(), classifiers: new Set() };
      entries.set(id, entry);
    }
    if (classifier) entry.classifiers.add(classifier);
    if (range && !range.includes('${') && parseMavenRange(range)) {
      entry.ranges.add(range);
      return;
    }
    entry.declared ??= range ?? '';
    if (!range) entry.unresolvable ??= 'no version declared or managed';
    else if (range.includes('${')) entry.unresolvable ??= `unresolved property in version '${range}'`;
    else entry.unresolvable ??= `invalid version requirement '${range}'`;
  };

  if (pom.parent) add(pom.parent.groupId, pom.parent.artifactId, `[${pom.parent.version}]`);
  for (const bom of pom.imports) add(bom.groupId, bom.artifactId, `[${bom.version}]`);
  if (pom.relocation) {
    const { groupId, artifactId, version } = pom.relocation;
    add(groupId, artifactId, `[${version}]`);
  }
  for (const dependency of pom.dependencies) {
    if (!RUNTIME_SCOPES.has(dependency.scope)) continue;
    if (dependency.optional === 'true') continue;
    const classifier =
      dependency.classifier ?? (dependency.type === 'test-jar' ? 'tests' : undefined);
    add(dependency.groupId, dependency.artifactId, dependency.version, classifier);
  }

  return [...entries.values()].map(entry => {
    const ranges = [...entry.ranges];
    let range: string;
    if (ranges.length === 0) range = entry.declared ?? '';
    else if (ranges.length === 1) range = ranges[0];
    else range = [...new Set(ranges.map(toHardMavenRange))].join(',');
    const config: JsonObject = { ...inheritedConfig };
    if (entry.classifiers.size) config.classifiers = [...entry.classifiers].sort();
    const dependency: ProcessorDependency = {
      processor: 'maven',
      id: entry.id,
      range,
      kind: 'runtime',
      config,
    };
    if (!ranges.length && entry.unresolvable) dependency.unresolvable = entry.unresolvable;
    return dependency;
  });
}
