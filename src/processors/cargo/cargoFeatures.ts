/**
 * Cargo's feature resolution for one version: which optional dependencies
 * the requested features enable, and which features each dependency is
 * asked for in turn, following the `features` map (and `features2`) with
 * its `dep:name`, `name/feature` and `name?/feature` entries and the
 * implicit feature of an optional dependency no `dep:` entry names.
 *
 * A weak `name?/feature` counts as `name/feature`: Cargo's dependency
 * resolver does not know weak features (only its later feature pass
 * does), so it reads the index of such a dependency and puts it in
 * Cargo.lock, and `cargo generate-lockfile` fails without it.
 */
import { IndexDependency, IndexRecord } from './cargoIndex';

/** The features a dependent asks of a crate. */
export interface RequestedFeatures {
  features: readonly string[];
  /** Whether the `default` feature is on. */
  defaultFeatures: boolean;
}

/** A dependency the version needs under the requested features. */
export interface ActiveDependency {
  dependency: IndexDependency;
  /** What this dependency is asked for, by this version. */
  requested: RequestedFeatures;
}

/** Bounds the work on hostile feature maps (each feature is visited once anyway). */
const MAX_STEPS = 100_000;

/**
 * The dependencies a version needs when `requested` features are on,
 * among those `keep` lets through (kind and target), each with the
 * features it is asked for.
 */
export function activeDependencies(
  record: IndexRecord,
  requested: RequestedFeatures,
  keep: (dependency: IndexDependency) => boolean,
): ActiveDependency[] {
  const featureMap: Record<string, string[]> = { ...(record.features ?? {}), ...(record.features2 ?? {}) };
  const optional = new Set(record.deps.filter(d => d.optional).map(d => d.name));
  const explicit = new Set(
    Object.values(featureMap)
      .flat()
      .filter(item => item.startsWith('dep:'))
      .map(item => item.slice(4)),
  );
  // An optional dependency that no `dep:` entry names is also a feature.
  for (const name of optional) {
    if (!explicit.has(name) && !Object.hasOwn(featureMap, name)) featureMap[name] = [`dep:${name}`];
  }

  const enabledFeatures = new Set<string>();
  const enabledDeps = new Set<string>();
  const requestedOf = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, name: string, feature: string) => {
    map.set(name, (map.get(name) ?? new Set()).add(feature));
  };

  const queue: string[] = [...requested.features];
  if (requested.defaultFeatures && Object.hasOwn(featureMap, 'default')) queue.push('default');
  for (let steps = 0; queue.length > 0 && steps < MAX_STEPS; steps++) {
    const item = queue.shift()!;
    if (item.startsWith('dep:')) {
      enabledDeps.add(item.slice(4));
      continue;
    }
    const slash = item.indexOf('/');
    if (slash !== -1) {
      const isWeak = item[slash - 1] === '?';
      const name = item.slice(0, isWeak ? slash - 1 : slash);
      add(requestedOf, name, item.slice(slash + 1));
      enabledDeps.add(name);
      // `name/feature` also turns on the feature of that name, if any
      // (the implicit feature of an optional dependency).
      if (!isWeak && Object.hasOwn(featureMap, name)) queue.push(name);
      continue;
    }
    if (enabledFeatures.has(item) || !Object.hasOwn(featureMap, item)) continue;
    enabledFeatures.add(item);
    queue.push(...featureMap[item]);
  }

  return record.deps
    .filter(dependency => (!dependency.optional || enabledDeps.has(dependency.name)) && keep(dependency))
    .map(dependency => {
      const features = new Set([
        ...(dependency.features ?? []),
        ...(requestedOf.get(dependency.name) ?? []),
      ]);
      return {
        dependency,
        requested: {
          features: [...features].sort(),
          defaultFeatures: dependency.default_features !== false,
        },
      };
    });
}
