/**
 * What the closure walk keeps per artifact (its discovery, selections and
 * resolutions), and how that reads as the plain-data result. Apart from
 * the walk so the walk file holds only the algorithm.
 */
import { JsonObject } from '@backstage/types';
import { AdmissionVerdict } from '../admission/types';
import { BackpackProcessor, ProcessorVersion } from '../processors/types';
import { ArtifactDependency, DependencyPolicy, SelectionReason } from '../types';
import {
  ClosureArtifact,
  ClosureArtifactError,
  ClosureDescribeFn,
  ClosureDiscovery,
  ClosureRefusal,
  ClosureResult,
  ClosureRoot,
  ClosureVersion,
} from './closureTypes';
import { errorMessage } from '../lib/errorMessage';
import { Semaphore } from '../lib/Semaphore';
import { RangeResolution, resolveRange } from './dependencyPolicy';
import { compareStrings, sortedReasons } from './selectionReasons';

/** How an artifact's discovery ended, with its versions indexed for the walk. */
export type Outcome =
  | {
      ok: true;
      discovery: ClosureDiscovery;
      byVersion: Map<string, ProcessorVersion>;
      /** Every version, lowest first; invalid ones first of all. */
      ascending: string[];
    }
  | { ok: false; error: ClosureArtifactError };

/** What the walk knows of one artifact. */
export interface Entry {
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
  resolutions: Map<string, RangeResolution>;
  /**
   * Descriptions of selected versions, for processors that describe on
   * demand; by version. This map and the next three are created when first
   * written: most artifacts of a walk never describe or refuse a version,
   * and an empty Map costs about 180 bytes, per artifact of a walk of
   * thousands.
   */
  descriptions?: Map<string, Promise<ProcessorVersion | undefined>>;
  /** What the settled descriptions answered, and why one failed. */
  described?: Map<string, ProcessorVersion>;
  describeErrors?: Map<string, string>;
  /** Admission verdicts asked in this walk, pending and settled, by version. */
  admissions: Map<string, Promise<AdmissionVerdict>>;
  verdicts: Map<string, AdmissionVerdict>;
  /** Versions admission denied, with the reasons they would have been selected for. */
  refused?: Map<string, { reasons: Map<string, SelectionReason>; verdict: AdmissionVerdict }>;
}

/** A new entry: nothing discovered, selected or resolved yet. */
export function newEntry(
  fields: Pick<Entry, 'key' | 'processor' | 'processorName' | 'invalidId' | 'id' | 'config' | 'root'>,
): Entry {
  // Each field named rather than spread: objects made by spreading another
  // at a site that sees many shapes get a hidden class of their own (about
  // 700 bytes each with its descriptors), and a walk makes one entry per
  // artifact.
  return {
    key: fields.key,
    processor: fields.processor,
    processorName: fields.processorName,
    invalidId: fields.invalidId,
    id: fields.id,
    config: fields.config,
    root: fields.root,
    generation: 0,
    policy: fields.root?.dependencyPolicy ?? 'latest',
    selected: new Map(),
    dependencies: new Map(),
    resolutions: new Map(),
    admissions: new Map(),
    verdicts: new Map(),
  };
}

/** A range's resolution against a discovered artifact, once per policy and range. */
export function resolveOnce(
  target: Entry,
  outcome: Extract<Outcome, { ok: true }>,
  range: string,
  policy: DependencyPolicy,
  pinnable: boolean,
): RangeResolution {
  const cacheKey = `${policy}\0${range}`;
  const cached = target.resolutions.get(cacheKey);
  if (cached) return cached;
  const resolution = resolveRange(
    {
      id: target.id,
      scheme: target.processor!.versions,
      ascending: outcome.ascending,
      published: outcome.byVersion,
      tags: outcome.discovery.tags,
      pinnable,
    },
    range,
    policy,
  );
  target.resolutions.set(cacheKey, resolution);
  return resolution;
}

/**
 * Describes a selected version of an entry once per discovery (a wider
 * config starts a new generation), within the walk's concurrency. A failure
 * is recorded on the entry, and the answer is undefined; an abort rejects.
 */
export function describeOnce(
  entry: Entry,
  version: string,
  options: { describe: ClosureDescribeFn; limiter: Semaphore; signal?: AbortSignal },
): Promise<ProcessorVersion | undefined> {
  const { signal } = options;
  let pending = entry.descriptions?.get(version);
  if (!pending) {
    const generation = entry.generation;
    const config = entry.discoveredUnder ?? entry.config;
    pending = options.limiter.use(async () => {
      signal?.throwIfAborted();
      try {
        const described = await options.describe(entry.processorName, entry.id, config, version, {
          signal,
          dependencyPolicy: entry.policy,
        });
        if (entry.generation === generation) (entry.described ??= new Map()).set(version, described);
        return described;
      } catch (error) {
        if (signal?.aborted) throw error;
        if (entry.generation === generation) (entry.describeErrors ??= new Map()).set(version, errorMessage(error));
        return undefined;
      }
    });
    (entry.descriptions ??= new Map()).set(version, pending);
  }
  return pending;
}

/** The discovery with the descriptions of selected versions in place of their listing entries. */
function withDescriptions(discovery: ClosureDiscovery, entry: Entry): ClosureDiscovery {
  const described = entry.described;
  if (!described?.size) return discovery;
  const listed = new Set(discovery.versions.map(v => v.version));
  return {
    ...discovery,
    versions: [
      ...discovery.versions.map(v => described.get(v.version) ?? v),
      ...[...described.values()].filter(v => !listed.has(v.version)),
    ],
  };
}

/** Why describing selected versions failed, as an artifact error; undefined when none did. */
function describeError(entry: Entry): ClosureArtifactError | undefined {
  const errors = entry.describeErrors;
  if (!errors?.size) return undefined;
  const [version, message] = [...errors.entries()][0];
  const more = errors.size > 1 ? ` (and ${errors.size - 1} more versions)` : '';
  return { type: 'failed', message: `version ${version} could not be described: ${message}${more}` };
}

/**
 * The closure as plain data: roots first (in the order given), then every
 * other artifact the walk reached by key.
 */
export function closureResult(
  rootEntries: Entry[],
  entries: Iterable<Entry>,
  discoveries: number,
): ClosureResult {
  const rest = [...entries]
    .filter(entry => !rootEntries.includes(entry))
    .sort((a, b) => compareStrings(a.key, b.key));
  let versionsSelected = 0;
  let unresolvable = 0;
  let versionsDenied = 0;
  let versionsPendingApproval = 0;
  const artifacts = [...rootEntries, ...rest].map((entry): ClosureArtifact => {
    const outcome = entry.settled;
    const scheme = entry.processor?.versions;
    const versions = [...entry.selected.keys()];
    if (scheme) versions.sort((a, b) => scheme.compare(a, b));
    const selected = versions.map((version): ClosureVersion => {
      const dependencies = entry.dependencies.get(version) ?? [];
      unresolvable += dependencies.filter(d => d.unresolvable !== undefined).length;
      const admission = entry.verdicts.get(version);
      if (admission?.decision === 'pending-approval') versionsPendingApproval += 1;
      return {
        version,
        selection: sortedReasons(entry.selected.get(version)!.values()),
        dependencies,
        ...(admission ? { admission } : {}),
      };
    });
    versionsSelected += selected.length;
    const refused = refusals(entry);
    versionsDenied += refused.length;
    const error = outcome && !outcome.ok ? outcome.error : entry.filterError ?? describeError(entry);
    return {
      processor: entry.processorName,
      id: entry.id,
      key: entry.key,
      root: entry.root !== undefined,
      config: entry.discoveredUnder ?? entry.config,
      dependencyPolicy: entry.policy,
      ...(entry.root?.filter ? { filter: entry.root.filter } : {}),
      ...(entry.root?.filterType ? { filterType: entry.root.filterType } : {}),
      ...(outcome?.ok ? { discovery: withDescriptions(outcome.discovery, entry) } : {}),
      ...(error ? { error } : {}),
      selected,
      ...(refused.length > 0 ? { refused } : {}),
    };
  });
  return {
    artifacts,
    stats: {
      artifacts: artifacts.length,
      versionsSelected,
      unresolvable,
      discoveries,
      versionsDenied,
      versionsPendingApproval,
    },
  };
}

/** The versions admission denied and nothing selected, in version order. */
function refusals(entry: Entry): ClosureRefusal[] {
  const refused = entry.refused;
  if (!refused) return [];
  const versions = [...refused.keys()].filter(v => !entry.selected.has(v));
  const scheme = entry.processor?.versions;
  if (scheme) versions.sort((a, b) => scheme.compare(a, b));
  return versions.map(version => {
    const { reasons, verdict } = refused.get(version)!;
    return { version, selection: sortedReasons(reasons.values()), admission: verdict };
  });
}
