import { JsonObject } from '@backstage/types';
import { ProcessorDependency } from '../types';
import { evaluateMarker, Marker, MarkerEnvironment } from './markers';
import { normalizePypiName } from './normalizeName';
import { PEP440_UNION_SEPARATOR } from './Pep440VersionScheme';
import { parseRequirement, Requirement } from './requirement';
import { DEFAULT_PLATFORMS, DEFAULT_PYTHON_VERSIONS, markerEnvironment } from './targets';
import { errorMessage } from '../../lib/errorMessage';

/** What decides which `Requires-Dist` entries apply. */
export interface RequiresDistOptions {
  /** Normalised name of the project declaring the requirements. */
  project: string;
  /** Extras of the project that are requested. */
  extras: string[];
  /** Target Python versions; the default list when undefined. */
  pythonVersions?: string[];
  /** Target platform tags; the default list when undefined. */
  platforms?: string[];
  /** Config every dependency inherits (e.g. a per-artifact index). */
  inheritedConfig: JsonObject;
  /** Told about entries that cannot be parsed, which are then skipped. */
  onInvalid?: (line: string, reason: string) => void;
}

/** The marker environments of every target, built once per extra. */
function environmentsFor(options: RequiresDistOptions) {
  const pythonVersions = options.pythonVersions ?? DEFAULT_PYTHON_VERSIONS;
  const platforms = options.platforms ?? DEFAULT_PLATFORMS;
  const byExtra = new Map<string, MarkerEnvironment[]>();
  return (extra: string): MarkerEnvironment[] => {
    let environments = byExtra.get(extra);
    if (!environments) {
      environments = pythonVersions.flatMap(python =>
        platforms.map(platform => markerEnvironment(python, platform, extra)),
      );
      byExtra.set(extra, environments);
    }
    return environments;
  };
}

interface Merged {
  id: string;
  ranges: Set<string>;
  extras: Set<string>;
  unresolvable?: string;
}

/**
 * Turns a version's `Requires-Dist` into its direct dependencies for the
 * configured targets and extras. A project listing the same dependency on
 * several lines (for different environments or extras) yields one
 * dependency: the union of the ranges, joined with `||`, and of the extras.
 * A project requiring its own extras (`pkg[all]` needing `pkg[socks]`) has
 * those extras' dependencies added instead of depending on itself.
 */
export function dependenciesFromRequiresDist(
  requiresDist: readonly string[],
  options: RequiresDistOptions,
): ProcessorDependency[] {
  const environments = environmentsFor(options);
  /**
   * Whether some target, with one of the requested extras or none, satisfies
   * the marker: the dependency is then needed on at least one target.
   */
  const markerHolds = (marker: Marker | undefined, extras: Iterable<string>) =>
    !marker ||
    ['', ...extras].some(extra =>
      environments(extra).some(environment => evaluateMarker(marker, environment)),
    );

  const requirements: Requirement[] = [];
  for (const line of requiresDist) {
    try {
      requirements.push(parseRequirement(line));
    } catch (error) {
      options.onInvalid?.(line, errorMessage(error));
    }
  }

  // Extras reachable through self-references, to a fixpoint.
  const extras = new Set(options.extras.map(normalizePypiName));
  for (let grown = true; grown; ) {
    grown = false;
    for (const requirement of requirements) {
      if (normalizePypiName(requirement.name) !== options.project) continue;
      if (!markerHolds(requirement.marker, extras)) continue;
      for (const extra of requirement.extras) {
        if (!extras.has(extra)) {
          extras.add(extra);
          grown = true;
        }
      }
    }
  }

  const merged = new Map<string, Merged>();
  for (const requirement of requirements) {
    const id = normalizePypiName(requirement.name);
    if (id === options.project) continue;
    if (!markerHolds(requirement.marker, extras)) continue;
    let entry = merged.get(id);
    if (!entry) {
      entry = { id, ranges: new Set(), extras: new Set() };
      merged.set(id, entry);
    }
    requirement.extras.forEach(extra => entry!.extras.add(extra));
    if (requirement.url) {
      entry.unresolvable ??= `direct URL requirement ${requirement.url}`;
    } else {
      entry.ranges.add(requirement.specifier);
    }
  }

  return [...merged.values()].map(entry => {
    const config: JsonObject = { ...options.inheritedConfig };
    if (entry.extras.size) config.extras = [...entry.extras].sort();
    // An unconstrained line makes the whole union unconstrained.
    const range = entry.ranges.has('')
      ? ''
      : [...entry.ranges].join(PEP440_UNION_SEPARATOR);
    const dependency: ProcessorDependency = {
      processor: 'pypi',
      id: entry.id,
      range,
      kind: 'runtime',
      config,
    };
    if (entry.ranges.size === 0 && entry.unresolvable) {
      dependency.unresolvable = entry.unresolvable;
    }
    return dependency;
  });
}
