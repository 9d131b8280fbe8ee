/**
 * The closure walk: from the roots to a fixpoint over (artifact, version)
 * pairs, discovering each artifact once (again only when a wider config
 * arrives), selecting versions with their reasons and resolving each
 * selected version's dependencies under its policy.
 */
import { isError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { sameJson } from '../lib/canonicalJson';
import { errorMessage } from '../lib/errorMessage';
import { Semaphore } from '../lib/Semaphore';
import { TaskCount } from '../lib/TaskCount';
import { ProcessorDependency, ProcessorVersion } from '../processors/types';
import { ArtifactDependency, SelectionReason } from '../types';
import { AdmissionGate } from './admissionGate';
import { closureResult, describeOnce, Entry, newEntry, Outcome, resolveOnce } from './closureEntry';
import {
  ClosureDiscovery,
  ClosureResolverOptions,
  ClosureResult,
  ClosureRoot,
} from './closureTypes';
import { reasonKey } from './selectionReasons';

/** One walk; all memoisation lives here so walks never share state. */
export class ClosureWalk {
  private readonly entries = new Map<string, Entry>();
  /**
   * The entries by processor and id as a dependency names it: the walk
   * meets each artifact once per edge, and normalising the id and building
   * the key again for every edge was a good part of the walk's work.
   */
  private readonly named = new Map<string, Map<string, Entry>>();
  private readonly tasks = new TaskCount();
  private readonly limiter: Semaphore;
  private discoveries = 0;
  private readonly gate?: AdmissionGate;

  constructor(
    private readonly options: ClosureResolverOptions,
    private readonly signal?: AbortSignal,
  ) {
    this.limiter = new Semaphore(options.concurrency ?? 16);
    const admit = options.admit;
    this.gate = admit && new AdmissionGate({ admit, signal, entryOf: key => this.entries.get(key),
      describe: (entry, version) => (this.describes(entry, version) ? this.describe(entry, version) : undefined) });
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
    await this.tasks.settled();
    this.signal?.throwIfAborted();
    if (this.tasks.failure) throw this.tasks.failure;
    return closureResult(rootEntries, this.entries.values(), this.discoveries);
  }

  private schedule(task: () => Promise<void>): void {
    this.tasks.add(task);
  }

  private entry(processorName: string, id: string, config: JsonObject, root?: ClosureRoot): Entry {
    let named = this.named.get(processorName);
    const known = named?.get(id);
    if (known && !root) {
      this.widen(known, config);
      return known;
    }
    const processor = this.options.processors.find(processorName);
    let normalizedId = id;
    let invalidId: string | undefined;
    try {
      normalizedId = processor?.normalizeId ? processor.normalizeId(id) : id;
    } catch (error) {
      // Never discovered, so never stored; its dependents record why.
      invalidId = errorMessage(error);
    }
    const key = `${processorName}:${normalizedId}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = newEntry({ key, processor, processorName, invalidId, id: normalizedId, config, root });
      this.entries.set(key, entry);
    } else if (!root) {
      this.widen(entry, config);
    }
    if (!named) {
      named = new Map();
      this.named.set(processorName, named);
    }
    named.set(id, entry);
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
          entry.descriptions = undefined;
          entry.described = undefined;
          entry.describeErrors = undefined;
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
          const message = errorMessage(error);
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
        this.selectAdmitted(entry, version, { type: 'all-versions' });
      }
      return;
    }
    let matches: (version: string) => boolean;
    try {
      matches = this.options.compileFilter(filter, filterType, entry.processor!.versions);
    } catch (error) {
      entry.filterError = {
        type: 'invalid-filter',
        message: errorMessage(error),
      };
      return;
    }
    for (const version of outcome.byVersion.keys()) {
      if (matches(version)) this.selectAdmitted(entry, version, { type: 'filter', filter });
    }
    // A pin selects its version also when the listing lacks it (an OCI digest).
    const pinned = this.describable(entry) && filterType !== 'regex'
      ? entry.processor!.versions.pinnedVersion?.(filter)
      : undefined;
    if (pinned !== undefined && !outcome.byVersion.has(pinned)) {
      this.selectAdmitted(entry, pinned, { type: 'filter', filter });
    }
  }

  /** Whether the artifact's versions are described on demand. */
  private describable(entry: Entry): boolean {
    return Boolean(entry.processor?.describeVersion && this.options.describe);
  }

  /**
   * Whether a version is described on demand: its processor describes
   * versions, or a 304 stood in with a version stored without its files
   * and dependencies (never selected before).
   */
  private describes(entry: Entry, version: string): boolean {
    if (this.describable(entry)) return true;
    const settled = entry.settled;
    return Boolean(
      this.options.describe && settled?.ok && settled.discovery.notModified && settled.discovery.undescribed?.has(version),
    );
  }

  /** A selected version's description, once per discovery; undefined when it failed (recorded). */
  private describe(entry: Entry, version: string): Promise<ProcessorVersion | undefined> {
    return describeOnce(entry, version, {
      describe: this.options.describe!,
      limiter: this.limiter,
      signal: this.signal,
    });
  }

  /** Selects a root's version once admission lets it in. */
  private selectAdmitted(entry: Entry, version: string, reason: SelectionReason): void {
    const gate = this.gate;
    if (!gate) this.select(entry, version, reason);
    else this.schedule(async () => void ((await gate.admits(entry, version, reason)) && this.select(entry, version, reason)));
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
    // Discovered again under a wider config meanwhile: that generation's
    // expansion describes the version under it (describing here would
    // remember a description under the narrower config for it).
    if (entry.generation !== generation) return;
    let declared = (outcome.ok && outcome.byVersion.get(version)?.dependencies) || [];
    if (outcome.ok && this.describes(entry, version)) {
      declared = (await this.describe(entry, version))?.dependencies ?? [];
    } else if (outcome.ok && outcome.discovery.notModified && outcome.discovery.dependenciesOf) {
      declared = await outcome.discovery.dependenciesOf(version);
    }
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
      ...(dependency.source ? { source: dependency.source } : {}),
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
    const via: SelectionReason = {
      type: 'required-by',
      processor: parent.processorName,
      id: parent.id,
      version: parentVersion,
      range: dependency.range,
    };
    let resolution = resolveOnce(target, outcome, dependency.range, parent.policy, this.describable(target));
    if (this.gate) resolution = await this.gate.filter(target, outcome, dependency.range, parent.policy, resolution, via);
    if ('unresolvable' in resolution) return { ...recorded, ...resolution };
    for (const version of resolution.resolved) this.select(target, version, via);
    // Set on the record rather than spread into a copy: one object per edge.
    recorded.resolved = [...resolution.resolved];
    return recorded;
  }
}
