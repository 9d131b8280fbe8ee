import { sameJson } from '../lib/canonicalJson';
import { Semaphore } from '../lib/Semaphore';
import { isError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';
import {
  BackpackProcessor,
  DiscoveryResult,
  DiscoveryValidators,
  ProcessorDependency,
  ProcessorVersion,
  VersionScheme,
} from '../processors/types';
import {
  ArtifactDependency,
  DependencyPolicy,
  FilterType,
  SelectionReason,
} from '../types';

/**
 * A root artifact the walk starts from.
 *
 * @public
 */
export interface ClosureRoot {
  processor: string;
  id: string;
  /** Processor config passed to discovery; `{}` when absent. */
  config?: JsonObject;
  /** Which versions to select; empty or absent selects every version. */
  filter?: string;
  filterType?: FilterType;
  dependencyPolicy: DependencyPolicy;
}

/**
 * What the discover callback returns: every version of the artifact. After
 * a 304 the caller supplies the versions it stored earlier and says so with
 * `notModified: true`, so persistence can skip rewriting them.
 *
 * @public
 */
export type ClosureDiscovery = (
  | Extract<DiscoveryResult, { notModified: false }>
  | {
      notModified: true;
      versions: ProcessorVersion[];
      tags?: Record<string, string>;
      validators?: DiscoveryValidators;
    }
) & {
  /**
   * The config the discovery was made with, when the callback widened the
   * one asked for (e.g. with what earlier runs needed, see
   * `BackpackProcessor.mergeConfig`); the walk then carries on with it.
   */
  config?: JsonObject;
  /** What the checks of the processor's output dropped, see `checkDiscoveryOutput`. */
  warnings?: string[];
};

/**
 * Discovers one artifact. Throwing a NotFoundError means the package does
 * not exist upstream; any other error is a failed discovery.
 *
 * @public
 */
export type ClosureDiscoverFn = (
  processor: string,
  id: string,
  config: JsonObject,
  options: { signal?: AbortSignal },
) => Promise<ClosureDiscovery>;

/**
 * Compiles a root's filter into a predicate on versions; same shape as
 * `compileVersionFilter` in `closure/versionFilter.ts`. Only called for
 * non-empty filters. May throw (e.g. an InputError for an invalid filter).
 *
 * @public
 */
export type ClosureFilterCompiler = (
  filter: string | undefined,
  filterType: FilterType | undefined,
  scheme: VersionScheme,
) => (version: string) => boolean;

/**
 * Options of {@link ClosureResolver}.
 *
 * @public
 */
export interface ClosureResolverOptions {
  processors: ProcessorRegistry;
  discover: ClosureDiscoverFn;
  compileFilter: ClosureFilterCompiler;
  /** Discoveries in flight at once; default 16. */
  concurrency?: number;
}

/**
 * Why an artifact has no usable discovery.
 *
 * - `not-found`: the discover callback threw a NotFoundError.
 * - `failed`: any other discovery error, or an unknown processor.
 * - `invalid-filter`: discovery worked but the root's filter did not compile.
 *
 * @public
 */
export interface ClosureArtifactError {
  type: 'not-found' | 'failed' | 'invalid-filter';
  message: string;
}

/**
 * A selected version, why it was selected, and how each of its declared
 * dependencies resolved.
 *
 * @public
 */
export interface ClosureVersion {
  version: string;
  /** Sorted: filter / all-versions first, then required-by by parent. */
  selection: SelectionReason[];
  /**
   * One entry per dependency the processor declared for this version, in the
   * processor's order: `resolved` holds the versions the range selected
   * (empty under policy `none`), `unresolvable` says why none could be.
   */
  dependencies: ArtifactDependency[];
}

/**
 * One artifact the walk reached.
 *
 * @public
 */
export interface ClosureArtifact {
  processor: string;
  /** The id in the processor's canonical form (`normalizeId`). */
  id: string;
  /** `processor:normalizedId`, the identity of the artifact within the run. */
  key: string;
  root: boolean;
  /** The config it was discovered with: the root's, or the first parent's dependency config. */
  config: JsonObject;
  /** The root's policy, or `latest` for artifacts reached as dependencies. */
  dependencyPolicy: DependencyPolicy;
  filter?: string;
  filterType?: FilterType;
  /** What the discover callback returned; absent when it failed. */
  discovery?: ClosureDiscovery;
  error?: ClosureArtifactError;
  /** Selected versions in ascending version order. */
  selected: ClosureVersion[];
}

/**
 * The closure of a set of roots, as plain data. `artifacts` holds every
 * artifact the walk reached: also those where nothing was selected (every
 * range to them was unsatisfiable) and those whose discovery failed (for
 * non-roots that were not found, persistence may prefer not to store them;
 * the parents' dependency entries say why).
 *
 * @public
 */
export interface ClosureResult {
  /** Roots first (in the order given), then the rest ordered by key. */
  artifacts: ClosureArtifact[];
  stats: {
    artifacts: number;
    versionsSelected: number;
    /** Dependency entries (of selected versions) that could not be resolved. */
    unresolvable: number;
    /** Calls made to the discover callback. */
    discoveries: number;
  };
}

type Outcome =
  | {
      ok: true;
      discovery: ClosureDiscovery;
      byVersion: Map<string, ProcessorVersion>;
      /** Every version, lowest first; invalid ones first of all. */
      ascending: string[];
    }
  | { ok: false; error: ClosureArtifactError };

interface Entry {
  key: string;
  processor?: BackpackProcessor;
  processorName: string;
  /** Why the processor refused the id, if it did. */
  invalidId?: string;
  id: string;
  /** The config to discover under; only ever widens (see `widen`). */
  config: JsonObject;
  /** The config the settled discovery was made under. */
  discoveredUnder?: JsonObject;
  /** Moves on every new discovery under a wider config; expansions of older ones are stale. */
  generation: number;
  /** A task is making sure the discovery covers `config`. */
  widening?: boolean;
  root?: ClosureRoot;
  policy: DependencyPolicy;
  outcome?: Promise<Outcome>;
  settled?: Outcome;
  filterError?: ClosureArtifactError;
  /** Selected versions, each with its reasons keyed for de-duplication. */
  selected: Map<string, Map<string, SelectionReason>>;
  dependencies: Map<string, ArtifactDependency[]>;
  resolutions: Map<string, { resolved: string[] } | { unresolvable: string }>;
}

/** Code-unit order, independent of locale. */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function reasonKey(reason: SelectionReason): string {
  switch (reason.type) {
    case 'required-by':
      return [reason.type, reason.processor, reason.id, reason.version, reason.range].join('\0');
    case 'filter':
      return `${reason.type}\0${reason.filter}`;
    case 'denied':
      return `${reason.type}\0${reason.reason}`;
    default:
      return reason.type;
  }
}

function reasonOrder(a: SelectionReason, b: SelectionReason): number {
  const rank = (r: SelectionReason) => (r.type === 'required-by' ? 1 : 0);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  const key = (r: SelectionReason) =>
    r.type === 'required-by' ? [r.processor, r.id, r.version, r.range].join('\0') : r.type;
  const ka = key(a);
  const kb = key(b);
  return compareStrings(ka, kb);
}

/** One walk; all memoisation lives here so runs never share state. */
class ClosureRun {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Set<Promise<void>>();
  private readonly limiter: Semaphore;
  private fatal: unknown;
  private discoveries = 0;

  constructor(
    private readonly options: ClosureResolverOptions,
    private readonly signal?: AbortSignal,
  ) {
    this.limiter = new Semaphore(options.concurrency ?? 16);
  }

  async run(roots: ClosureRoot[]): Promise<ClosureResult> {
    this.signal?.throwIfAborted();
    const rootEntries: Entry[] = [];
    // Create every root entry before walking, so a root reached as a
    // dependency keeps its own config and policy.
    for (const root of roots) {
      const entry = this.entry(root.processor, root.id, root.config ?? {}, root);
      if (!rootEntries.includes(entry)) rootEntries.push(entry);
    }
    for (const entry of rootEntries) this.schedule(() => this.selectRoot(entry));
    while (this.pending.size > 0) {
      await Promise.all([...this.pending]);
    }
    this.signal?.throwIfAborted();
    if (this.fatal) throw this.fatal;
    return this.result(rootEntries);
  }

  private schedule(task: () => Promise<void>): void {
    const promise: Promise<void> = task()
      .catch(error => {
        this.fatal ??= error;
      })
      .finally(() => this.pending.delete(promise));
    this.pending.add(promise);
  }

  private entry(processorName: string, id: string, config: JsonObject, root?: ClosureRoot): Entry {
    const processor = this.options.processors.find(processorName);
    let normalizedId = id;
    let invalidId: string | undefined;
    try {
      normalizedId = processor?.normalizeId ? processor.normalizeId(id) : id;
    } catch (error) {
      // Never discovered, so never stored; its dependents record why.
      invalidId = isError(error) ? error.message : String(error);
    }
    const key = `${processorName}:${normalizedId}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = {
        key,
        processor,
        processorName,
        invalidId,
        id: normalizedId,
        config,
        generation: 0,
        root,
        policy: root?.dependencyPolicy ?? 'latest',
        selected: new Map(),
        dependencies: new Map(),
        resolutions: new Map(),
      };
      this.entries.set(key, entry);
    } else if (!root) {
      this.widen(entry, config);
    }
    return entry;
  }

  /**
   * Lets one more parent's config into an artifact's, where the processor
   * knows how to combine them (PyPI: `requests` and `requests[socks]`).
   * When the discovery so far was made under a narrower config, the
   * artifact is discovered again and its selected versions are expanded
   * again, so that what the wider config adds (the extra's dependencies) is
   * walked too. Configs only widen, so this ends.
   */
  private widen(entry: Entry, config: JsonObject): void {
    const merge = entry.processor?.mergeConfig;
    if (!merge) return;
    const merged = merge.call(entry.processor, entry.config, config);
    if (sameJson(merged, entry.config)) return;
    entry.config = merged;
    // Not discovered yet: the discovery will use the wider config.
    if (!entry.outcome || entry.widening) return;
    entry.widening = true;
    this.schedule(async () => {
      try {
        for (;;) {
          await this.discover(entry);
          // The callback may have discovered under a config that covers
          // it anyway (what earlier runs needed); then nothing is new.
          const under = entry.discoveredUnder ?? {};
          if (sameJson(merge.call(entry.processor, under, entry.config), under)) return;
          entry.generation += 1;
          entry.outcome = undefined;
          entry.resolutions.clear();
          await this.discover(entry);
          if (entry.root) await this.selectRoot(entry);
          for (const version of entry.selected.keys()) {
            this.schedule(() => this.expand(entry, version));
          }
        }
      } finally {
        entry.widening = false;
      }
    });
  }

  private discover(entry: Entry): Promise<Outcome> {
    if (entry.outcome) return entry.outcome;
    const generation = entry.generation;
    const config = entry.config;
    entry.outcome = this.limiter
      .use(async (): Promise<Outcome> => {
        this.signal?.throwIfAborted();
        const processor = entry.processor;
        if (!processor) {
          return {
            ok: false,
            error: { type: 'failed', message: `unknown processor '${entry.processorName}'` },
          };
        }
        if (entry.invalidId) {
          return { ok: false, error: { type: 'failed', message: `invalid id: ${entry.invalidId}` } };
        }
        this.discoveries += 1;
        let discovery: ClosureDiscovery;
        try {
          discovery = await this.options.discover(entry.processorName, entry.id, config, {
            signal: this.signal,
          });
        } catch (error) {
          if (this.signal?.aborted) throw error;
          const message = isError(error) ? error.message : String(error);
          const type = isError(error) && error.name === 'NotFoundError' ? 'not-found' : 'failed';
          return { ok: false, error: { type, message } };
        }
        if (!Array.isArray(discovery?.versions)) {
          return {
            ok: false,
            error: { type: 'failed', message: 'discovery returned no versions' },
          };
        }
        const scheme = processor.versions;
        const byVersion = new Map(discovery.versions.map(v => [v.version, v]));
        const ascending = [...byVersion.keys()].sort((a, b) => scheme.compare(a, b));
        return { ok: true, discovery, byVersion, ascending };
      })
      .then(outcome => {
        if (entry.generation === generation) {
          entry.settled = outcome;
          entry.discoveredUnder = (outcome.ok && outcome.discovery.config) || config;
          // Carry on with what the callback discovered under, so that a
          // parent asking for no more than that changes nothing.
          const merge = entry.processor?.mergeConfig;
          if (merge) entry.config = merge.call(entry.processor, entry.discoveredUnder, entry.config);
        }
        return outcome;
      });
    return entry.outcome;
  }

  private async selectRoot(entry: Entry): Promise<void> {
    const outcome = await this.discover(entry);
    if (!outcome.ok || !entry.root) return;
    const { filter, filterType } = entry.root;
    if (!filter) {
      for (const version of outcome.byVersion.keys()) {
        this.select(entry, version, { type: 'all-versions' });
      }
      return;
    }
    let matches: (version: string) => boolean;
    try {
      matches = this.options.compileFilter(filter, filterType, entry.processor!.versions);
    } catch (error) {
      entry.filterError = {
        type: 'invalid-filter',
        message: isError(error) ? error.message : String(error),
      };
      return;
    }
    for (const version of outcome.byVersion.keys()) {
      if (matches(version)) this.select(entry, version, { type: 'filter', filter });
    }
  }

  private select(entry: Entry, version: string, reason: SelectionReason): void {
    const reasons = entry.selected.get(version);
    if (reasons) {
      reasons.set(reasonKey(reason), reason);
      return;
    }
    entry.selected.set(version, new Map([[reasonKey(reason), reason]]));
    this.schedule(() => this.expand(entry, version));
  }

  /** Resolves the dependencies of one selected version and selects what they require. */
  private async expand(entry: Entry, version: string): Promise<void> {
    this.signal?.throwIfAborted();
    const generation = entry.generation;
    // Settled already, unless the artifact is being discovered again
    // under a wider config.
    const outcome = await this.discover(entry);
    const declared = (outcome.ok && outcome.byVersion.get(version)?.dependencies) || [];
    const results = await Promise.all(
      declared.map(dependency => this.resolveDependency(entry, version, dependency)),
    );
    // A wider config arrived meanwhile: its expansion records the result.
    if (entry.generation === generation) entry.dependencies.set(version, results);
  }

  private async resolveDependency(
    parent: Entry,
    parentVersion: string,
    dependency: ProcessorDependency,
  ): Promise<ArtifactDependency> {
    const recorded: ArtifactDependency = {
      processor: dependency.processor,
      id: dependency.id,
      range: dependency.range,
      kind: dependency.kind,
      config: dependency.config ?? {},
      resolved: [],
    };
    if (dependency.unresolvable) {
      return { ...recorded, unresolvable: dependency.unresolvable };
    }
    if (parent.policy === 'none') return recorded;

    const target = this.entry(dependency.processor, dependency.id, dependency.config ?? {});
    const outcome = await this.discover(target);
    if (!outcome.ok) {
      const { type, message } = outcome.error;
      const unresolvable =
        type === 'not-found' ? `unknown package: ${message}` : `discovery failed: ${message}`;
      return { ...recorded, unresolvable };
    }
    const resolution = this.resolveRange(target, outcome, dependency.range, parent.policy);
    if ('unresolvable' in resolution) return { ...recorded, ...resolution };
    for (const version of resolution.resolved) {
      this.select(target, version, {
        type: 'required-by',
        processor: parent.processorName,
        id: parent.id,
        version: parentVersion,
        range: dependency.range,
      });
    }
    return { ...recorded, resolved: [...resolution.resolved] };
  }

  private resolveRange(
    target: Entry,
    outcome: Extract<Outcome, { ok: true }>,
    range: string,
    policy: DependencyPolicy,
  ): { resolved: string[] } | { unresolvable: string } {
    const cacheKey = `${policy}\0${range}`;
    const cached = target.resolutions.get(cacheKey);
    if (cached) return cached;

    const scheme = target.processor!.versions;
    let resolution: { resolved: string[] } | { unresolvable: string };
    if (policy === 'all') {
      resolution = { resolved: outcome.ascending };
    } else if (scheme.isValidRange(range)) {
      const satisfying =
        policy === 'latest'
          ? [outcome.ascending.findLast(v => scheme.satisfies(v, range))].filter(
              (v): v is string => v !== undefined,
            )
          : outcome.ascending.filter(v => scheme.satisfies(v, range));
      resolution = satisfying.length
        ? { resolved: satisfying }
        : { unresolvable: `no version of '${target.id}' satisfies '${range}'` };
    } else {
      // Not a range: a tag such as npm's `latest` or `next` names one version.
      const tagged = outcome.discovery.tags?.[range];
      if (tagged === undefined) {
        resolution = {
          unresolvable: `'${range}' is neither a ${scheme.name} range nor a tag of '${target.id}'`,
        };
      } else if (!outcome.byVersion.has(tagged)) {
        resolution = {
          unresolvable: `tag '${range}' of '${target.id}' names ${tagged}, which is not published`,
        };
      } else {
        resolution = { resolved: [tagged] };
      }
    }
    target.resolutions.set(cacheKey, resolution);
    return resolution;
  }

  private result(rootEntries: Entry[]): ClosureResult {
    const rest = [...this.entries.values()]
      .filter(entry => !rootEntries.includes(entry))
      .sort((a, b) => compareStrings(a.key, b.key));
    let versionsSelected = 0;
    let unresolvable = 0;
    const artifacts = [...rootEntries, ...rest].map((entry): ClosureArtifact => {
      const outcome = entry.settled;
      const scheme = entry.processor?.versions;
      const versions = [...entry.selected.keys()];
      if (scheme) versions.sort((a, b) => scheme.compare(a, b));
      const selected = versions.map((version): ClosureVersion => {
        const dependencies = entry.dependencies.get(version) ?? [];
        unresolvable += dependencies.filter(d => d.unresolvable !== undefined).length;
        return {
          version,
          selection: [...entry.selected.get(version)!.values()].sort(reasonOrder),
          dependencies,
        };
      });
      versionsSelected += selected.length;
      const error = outcome && !outcome.ok ? outcome.error : entry.filterError;
      return {
        processor: entry.processorName,
        id: entry.id,
        key: entry.key,
        root: entry.root !== undefined,
        config: entry.discoveredUnder ?? entry.config,
        dependencyPolicy: entry.policy,
        ...(entry.root?.filter ? { filter: entry.root.filter } : {}),
        ...(entry.root?.filterType ? { filterType: entry.root.filterType } : {}),
        ...(outcome?.ok ? { discovery: outcome.discovery } : {}),
        ...(error ? { error } : {}),
        selected,
      };
    });
    return {
      artifacts,
      stats: {
        artifacts: artifacts.length,
        versionsSelected,
        unresolvable,
        discoveries: this.discoveries,
      },
    };
  }
}

/**
 * Walks the dependency graph from root artifacts to a fixpoint over
 * (artifact, version) pairs. Pure: it reads upstreams only through the
 * discover callback and returns plain data for a persistence layer.
 *
 * - A root selects the versions its filter matches (all when empty).
 * - Each selected version's dependency ranges resolve per the parent's
 *   policy (`none`, `latest`, `all-satisfying`, `all`); artifacts reached
 *   only as dependencies use `latest`.
 * - Selections accumulate with their reasons, so two parents requiring
 *   different ranges select both versions, and cycles end because a
 *   version is expanded once.
 * - Unknown packages, unsatisfiable ranges and unsupported specs are
 *   recorded on the dependency; failed discoveries on the artifact. Neither
 *   stops the walk. Only an abort (or a bug) rejects.
 *
 * @public
 */
export class ClosureResolver {
  constructor(private readonly options: ClosureResolverOptions) {}

  /** Resolves the closure of `roots`; each artifact is discovered at most once per call. */
  resolve(roots: ClosureRoot[], options: { signal?: AbortSignal } = {}): Promise<ClosureResult> {
    return new ClosureRun(this.options, options.signal).run(roots);
  }
}
