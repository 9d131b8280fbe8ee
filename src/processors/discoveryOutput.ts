import { isDeepStrictEqual } from 'node:util';
import { COLUMN_LIMITS } from '../database/columnLimits';
import { canonicalArtifactId } from '../artifacts/artifactIds';
import { dateOf, depth, MAX_CONFIG_DEPTH, MAX_REASON, MAX_SHORT, shown, stringProblem } from './discoveryFields';
import { fileProblem } from './discoveryFileCheck';
import { ProcessorRegistry } from './ProcessorRegistry';
import {
  DiscoveryValidators,
  ProcessorDependency,
  ProcessorFile,
  ProcessorVersion,
} from './types';
import { textProblem } from '../lib/validation';
import { DependencyKind } from '../types';

/** Warnings kept per discovery; the rest are counted. */
export const MAX_WARNINGS = 20;

/** Largest upstream record of a version kept (a Cargo index line is a few KiB, a huge one 100s). */
const MAX_METADATA_BYTES = 1024 * 1024;

const KINDS: DependencyKind[] = ['runtime', 'peer', 'optional'];

/** What survived the checks, and what was dropped and why. */
export interface CheckedDiscovery {
  versions: ProcessorVersion[];
  tags?: Record<string, string>;
  validators?: DiscoveryValidators;
  /** At most {@link MAX_WARNINGS}, the last one counting the rest. */
  warnings: string[];
}

/**
 * Checks what a processor's discovery returned before anything persists or
 * uses it: processors (built-in or from modules) read hostile upstreams, and
 * their output is only as trustworthy as those. Every processor's output
 * passes the same checks, sized to the columns that store it:
 *
 * - versions: at most 256 characters, no control characters; a version
 *   listed twice keeps its first entry;
 * - files: names and layout paths that fit their columns without control
 *   characters (whether they are safe path segments is `fileRefusal`'s to
 *   decide, which parks the file with its reason); http(s) URIs;
 *   well-formed digests and sizes. One name listed twice collapses when the
 *   entries are identical and is dropped when they differ;
 * - dependencies: a processor name, an id valid for the target processor
 *   (an invalid one is kept as unresolvable, so the walk never creates it),
 *   a range of at most 1024 characters, a known kind;
 * - tags and cache validators: short strings.
 *
 * What fails is dropped and named in `warnings`; what passes is returned
 * unchanged (digests lower-cased). When the upstream listed versions and
 * none passed, the discovery throws: that is a failure, not an empty
 * package.
 */
export function checkDiscoveryOutput(
  result: { versions: unknown; tags?: unknown; validators?: unknown },
  options: { processors: ProcessorRegistry },
): CheckedDiscovery {
  const warnings: string[] = [];
  const warn = (message: string) => warnings.push(message);
  if (!Array.isArray(result.versions)) {
    throw new Error('discovery returned no list of versions');
  }

  const versions = new Map<string, ProcessorVersion>();
  const dependencyChecks: DependencyChecks = new Map();
  for (const entry of result.versions as unknown[]) {
    const raw = (entry ?? {}) as Partial<ProcessorVersion>;
    const problem = stringProblem(raw.version, COLUMN_LIMITS.version);
    if (problem) {
      warn(`version ${shown(raw.version)} dropped: ${problem}`);
      continue;
    }
    const version = raw.version!;
    const checked = checkVersion(version, raw, options.processors, warn, dependencyChecks);
    const earlier = versions.get(version);
    if (earlier) {
      if (!isDeepStrictEqual(earlier, checked)) {
        warn(`version ${shown(version)} is listed twice with different contents; the first is kept`);
      }
      continue;
    }
    versions.set(version, checked);
  }
  if (versions.size === 0 && result.versions.length > 0) {
    throw new Error(
      `every one of the ${result.versions.length} versions the upstream listed was refused: ${warnings
        .slice(0, 3)
        .join('; ')}`,
    );
  }

  const checked: CheckedDiscovery = { versions: [...versions.values()], warnings: [] };
  const tags = checkTags(result.tags, warn);
  if (tags) checked.tags = tags;
  const validators = checkValidators(result.validators, warn);
  if (validators) checked.validators = validators;
  checked.warnings =
    warnings.length > MAX_WARNINGS
      ? [...warnings.slice(0, MAX_WARNINGS - 1), `… and ${warnings.length - MAX_WARNINGS + 1} more`]
      : warnings;
  return checked;
}

/**
 * The checks of the dependency objects of one discovery, by identity:
 * processors share one object between the versions that declare the same
 * dependency (npm's packuments repeat a few specs thousands of times), and
 * the checked copy stays shared, so a walk holds one per distinct spec
 * rather than one per version. The messages are replayed per version.
 */
type DependencyChecks = Map<ProcessorDependency, { kept?: ProcessorDependency; messages: string[] }>;

function checkVersion(
  version: string,
  raw: Partial<ProcessorVersion>,
  processors: ProcessorRegistry,
  warn: (message: string) => void,
  dependencyChecks: DependencyChecks,
): ProcessorVersion {
  const where = `version ${shown(version)}`;
  let publishedAt: string | undefined;
  if (raw.publishedAt !== undefined) {
    publishedAt = dateOf(raw.publishedAt);
    if (!publishedAt) warn(`${where}: publication date ${shown(raw.publishedAt)} dropped: not a date`);
  }

  const byName = new Map<string, ProcessorFile[]>();
  for (const file of Array.isArray(raw.files) ? raw.files : []) {
    const problem = fileProblem((file ?? {}) as ProcessorFile);
    if (problem) {
      warn(`${where}: file ${shown((file as ProcessorFile)?.name)} dropped: ${problem}`);
      continue;
    }
    const normalized: ProcessorFile = file.integrity
      ? { ...file, integrity: { ...file.integrity, digest: file.integrity.digest.toLowerCase() } }
      : file;
    byName.set(file.name, [...(byName.get(file.name) ?? []), normalized]);
  }
  if (!Array.isArray(raw.files)) warn(`${where}: no list of files`);
  const files: ProcessorFile[] = [];
  for (const [name, entries] of byName) {
    if (entries.every(entry => isDeepStrictEqual(entry, entries[0]))) {
      files.push(entries[0]);
    } else {
      // Which one is meant cannot be told; either could replace the other.
      warn(`${where}: file ${shown(name)} dropped: listed ${entries.length} times with different contents`);
    }
  }

  const dependencies: ProcessorDependency[] = [];
  for (const dependency of Array.isArray(raw.dependencies) ? raw.dependencies : []) {
    const declared = (dependency ?? {}) as ProcessorDependency;
    let check = dependencyChecks.get(declared);
    if (!check) {
      const messages: string[] = [];
      check = { kept: checkDependency(declared, processors, message => messages.push(message)), messages };
      if (dependency && typeof dependency === 'object') dependencyChecks.set(declared, check);
    }
    for (const message of check.messages) warn(`${where}: ${message}`);
    if (check.kept) dependencies.push(check.kept);
  }
  if (!Array.isArray(raw.dependencies)) warn(`${where}: no list of dependencies`);

  let metadata: string | undefined;
  if (raw.metadata !== undefined) {
    if (typeof raw.metadata === 'string' && Buffer.byteLength(raw.metadata) <= MAX_METADATA_BYTES) {
      metadata = raw.metadata;
    } else {
      warn(`${where}: metadata dropped: not a string of at most ${MAX_METADATA_BYTES} bytes`);
    }
  }

  return {
    version,
    ...(publishedAt ? { publishedAt } : {}),
    ...versionFacts(raw, where, warn),
    files: exactLength(files),
    dependencies: exactLength(dependencies),
    ...(metadata !== undefined ? { metadata } : {}),
  };
}

/**
 * A copy of an array the length of its items: an array grown by `push`
 * keeps spare capacity (V8 reserves 17 slots for the first item, about
 * 180 bytes against 60 for a copy), and a run's walk holds the files and
 * dependencies of every version it discovered until it ends (tens of
 * thousands of versions on a large mirror).
 */
function exactLength<T>(items: T[]): T[] {
  return items.slice();
}

/** What is wrong with a dependency as a processor described it, or undefined. */
function dependencyProblem(dependency: ProcessorDependency): string | undefined {
  const processor = stringProblem(dependency.processor, COLUMN_LIMITS.processor);
  if (processor) return `processor ${processor}`;
  const id = stringProblem(dependency.id, COLUMN_LIMITS.artifactId);
  if (id) return `id ${id}`;
  // An empty range is npm's "any version".
  if (typeof dependency.range !== 'string') return 'range is not a string';
  const range = textProblem(dependency.range, COLUMN_LIMITS.range);
  if (range) return `range ${range}`;
  if (!KINDS.includes(dependency.kind)) {
    return `kind ${shown(dependency.kind)} is not one of ${KINDS.join(', ')}`;
  }
  const { config } = dependency;
  if (config !== undefined) {
    if (!config || typeof config !== 'object' || Array.isArray(config)) return 'config is not an object';
    if (depth(config) > MAX_CONFIG_DEPTH) return `config is nested deeper than ${MAX_CONFIG_DEPTH} levels`;
  }
  if (dependency.unresolvable !== undefined && typeof dependency.unresolvable !== 'string') {
    return 'unresolvable is not a string';
  }
  return undefined;
}

function checkDependency(
  dependency: ProcessorDependency,
  processors: ProcessorRegistry,
  warn: (message: string) => void,
): ProcessorDependency | undefined {
  const named = `dependency ${shown(dependency.processor)}:${shown(dependency.id)}`;
  const problem = dependencyProblem(dependency);
  if (problem) {
    warn(`${named} dropped: ${problem}`);
    return undefined;
  }
  const kept: ProcessorDependency = {
    processor: dependency.processor,
    id: dependency.id,
    range: dependency.range,
    kind: dependency.kind,
    ...(dependency.config ? { config: dependency.config } : {}),
  };
  // Shown in previews: kept only as plain text.
  if (typeof dependency.source === 'string' && !textProblem(dependency.source, MAX_REASON)) {
    kept.source = dependency.source;
  }
  if (dependency.unresolvable !== undefined) {
    // The processor's reason, quoted safely when it is not plain text.
    kept.unresolvable = textProblem(dependency.unresolvable, MAX_REASON)
      ? shown(dependency.unresolvable)
      : dependency.unresolvable;
    return kept;
  }
  // An id its processor refuses (`../../x` for npm) is never walked to.
  const target = processors.find(dependency.processor);
  const canonical = target ? canonicalArtifactId(target, dependency.id) : undefined;
  if (canonical && 'problem' in canonical) {
    warn(`${named} is unresolvable: invalid id: ${canonical.problem}`);
    kept.unresolvable = `invalid id: ${shown(canonical.problem)}`;
  }
  return kept;
}

function checkTags(tags: unknown, warn: (message: string) => void): Record<string, string> | undefined {
  if (tags === undefined) return undefined;
  if (!tags || typeof tags !== 'object' || Array.isArray(tags)) {
    warn('tags dropped: not an object');
    return undefined;
  }
  const kept: Record<string, string> = {};
  for (const [name, version] of Object.entries(tags)) {
    const problem = textProblem(name, MAX_SHORT) ?? stringProblem(version, COLUMN_LIMITS.version);
    if (problem) warn(`tag ${shown(name)} dropped: ${problem}`);
    else kept[name] = version as string;
  }
  return kept;
}

function checkValidators(
  validators: unknown,
  warn: (message: string) => void,
): DiscoveryValidators | undefined {
  if (validators === undefined) return undefined;
  const { etag, lastModified } = (validators ?? {}) as DiscoveryValidators;
  const bad = [etag, lastModified].some(
    value => value !== undefined && (typeof value !== 'string' || textProblem(value, MAX_SHORT * 4)),
  );
  if (bad) {
    // Without them the next run asks unconditionally; nothing else is lost.
    warn('cache validators dropped: malformed');
    return undefined;
  }
  return {
    ...(etag !== undefined ? { etag } : {}),
    ...(lastModified !== undefined ? { lastModified } : {}),
  };
}

/** Longest license, deprecation or yank text kept; the rest is cut. */
const MAX_FACT = 1024;

/** The admission facts of a version (license, deprecation, yank), as strings of bounded length. */
function versionFacts(
  raw: Partial<ProcessorVersion>,
  where: string,
  warn: (message: string) => void,
): Pick<ProcessorVersion, 'license' | 'deprecated' | 'yanked'> {
  const facts: Pick<ProcessorVersion, 'license' | 'deprecated' | 'yanked'> = {};
  const fact = (name: 'license' | 'deprecated' | 'yanked') => {
    const value = raw[name];
    if (value === undefined || value === null) return undefined;
    if (name === 'yanked' && value === true) return true;
    if (typeof value !== 'string') {
      warn(`${where}: ${name} dropped: not a string`);
      return undefined;
    }
    // eslint-disable-next-line no-control-regex
    return value.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim().slice(0, MAX_FACT);
  };
  const license = fact('license');
  if (license) facts.license = license as string;
  const deprecated = fact('deprecated');
  if (deprecated) facts.deprecated = deprecated as string;
  const yanked = fact('yanked');
  if (yanked !== undefined) facts.yanked = yanked === '' ? true : yanked;
  return facts;
}
