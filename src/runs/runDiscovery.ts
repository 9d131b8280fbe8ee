/**
 * How a mirror run discovers one artifact: conditionally, with the
 * validators of the last discovery, so that an unchanged upstream answers
 * 304 and the stored versions stand in; what is new is checked and
 * persisted. The walk itself (the resolver) stays unaware of the store.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { ClosureDiscovery } from '../closure/ClosureResolver';
import { StoredArtifact } from '../database/ArtifactStore';
import { BackpackStores } from '../database/createBackpackStores';
import { sameJson } from '../lib/canonicalJson';
import { checkDiscoveryOutput } from '../processors/discoveryOutput';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';
import { ListedVersion, StoredDependency, WalkedVersion } from '../database/VersionGraphStore';
import {
  DiscoveryResult,
  DiscoveryValidators,
  ProcessorDependency,
  ProcessorVersion,
} from '../processors/types';
import { errorMessage } from '../lib/errorMessage';
import { tickBatch } from '../lib/tickBatch';
import { AnsweredAhead } from './askAhead';
import { DependencyPolicy } from '../types';
import { describeFromListing, RunListings } from './runDescriptions';
import { RunRecording } from './runRecording';

/** Shared by the versions a 304 stands in for; frozen, so that nothing adds to them. */
const NO_FILES: ProcessorVersion['files'] = Object.freeze([]) as unknown as ProcessorVersion['files'];
const NO_DEPENDENCIES: ProcessorDependency[] = Object.freeze([]) as unknown as ProcessorDependency[];

/** What {@link discoverForRun} reads and writes through. */
export interface RunDiscoveryOptions {
  stores: Pick<BackpackStores, 'artifacts' | 'versions'>;
  processors: ProcessorRegistry;
  logger: LoggerService;
  /** Where the run's discoveries are written, in batches across artifacts. */
  recording: RunRecording;
  /** What a full run read of the store up front, see {@link prefetchStored}. */
  prefetched?: PrefetchedGraph;
  /** Listings this run asked for again, see {@link describeFromListing}. */
  listings?: RunListings;
  /** The rows of the versions this run listed, by artifact ref, see `describeSelected`. */
  listed?: Map<number, Map<string, ListedVersion>>;
  /**
   * The stored versions of the artifacts answered 304, by artifact ref,
   * with the dependencies of those selected: what recording the walk's
   * resolutions compares with (see `resolutionsToRecord`).
   */
  stored?: Map<number, WalkedVersion[]>;
}

/**
 * The stored artifacts and their versions (with the dependencies of the
 * selected ones), read in a few statements when a full run starts, so that
 * an artifact answering 304 costs no statement of its own. Each entry is
 * used once: a second discovery of an artifact in the same run reads what
 * the first one wrote.
 */
export interface PrefetchedGraph {
  /** Every artifact stored when the run started. */
  all: StoredArtifact[];
  artifacts: Map<string, StoredArtifact>;
  versions: Map<number, WalkedVersion[]>;
  /** The conditional requests sent ahead of the walk (see {@link askAhead}). */
  answeredAhead?: AnsweredAhead;
}

/** Reads every stored artifact and its versions for a full run. */
export async function prefetchStored(stores: RunDiscoveryOptions['stores']): Promise<PrefetchedGraph> {
  const all = await stores.artifacts.listAllArtifacts();
  const versions = await stores.versions.getAllVersions();
  // An artifact without versions stands in too (an empty listing).
  for (const a of all) if (!versions.has(a.ref)) versions.set(a.ref, []);
  return {
    all,
    artifacts: new Map(all.map(a => [`${a.processor}:${a.id}`, a])),
    versions,
  };
}

/** Takes an entry out of a map, so that it stands in once. */
function take<K, V>(map: Map<K, V> | undefined, key: K): V | undefined {
  const value = map?.get(key);
  map?.delete(key);
  return value;
}

/**
 * Discovers one artifact for the resolver: a conditional request with the
 * stored validators; on 304 the stored versions stand in, otherwise what
 * is new is persisted.
 */
export async function discoverForRun(
  options: RunDiscoveryOptions,
  runId: string,
  processorName: string,
  id: string,
  config: JsonObject,
  refs: Map<string, StoredArtifact>,
  signal?: AbortSignal,
): Promise<ClosureDiscovery> {
  const { stores, processors, logger } = options;
  const processor = processors.get(processorName);
  const canonical = processor.normalizeId?.(id) ?? id;
  const key = `${processorName}:${canonical}`;
  const prefetched = take(options.prefetched?.artifacts, key);
  const prefetchedVersions = prefetched && take(options.prefetched?.versions, prefetched.ref);
  const ahead = take(options.prefetched?.answeredAhead, key);
  const artifact = prefetched ?? await options.recording.ensureArtifact({
    processor: processorName,
    id: canonical,
    config: {},
    root: false,
    dependencyPolicy: 'latest',
  });
  refs.set(key, artifact);

  // The config to discover under: what the walk asks for, widened by
  // what the last discovery was made under where the processor combines
  // configs (PyPI extras needed by some parent). Otherwise a run would
  // discover with the first parent's config, then again with the wider
  // one, and write both every time; this way the second run asks once
  // and gets a 304.
  const last = artifact.validators;
  let effective: JsonObject = { ...artifact.config, ...config };
  if (processor.mergeConfig && last?.config) {
    effective = processor.mergeConfig(last.config, effective);
  }
  // Stored data stands in for a 304 only if it was discovered under the
  // same config, and only if a discovery was stored at all.
  let validators: DiscoveryValidators | undefined =
    last && sameJson(last.config ?? {}, effective)
      ? { etag: last.etag, lastModified: last.lastModified }
      : undefined;

  let result: DiscoveryResult;
  let warnings: string[] = [];
  let stored: WalkedVersion[] = [];
  try {
    // Asked ahead under the same validators: a 304 then stands as this answer.
    result =
      validators && ahead && (await ahead)
        ? { notModified: true }
        : await processor.discover({ id: canonical, config: effective }, { logger, signal, validators });
    if (result.notModified) {
      // Versions and the dependencies of the selected ones; the walk asks
      // for the others' only if it selects them now.
      stored =
        prefetchedVersions ?? (await stores.versions.getVersions(artifact.ref, { dependencies: 'selected' }));
      if (stored.length === 0) {
        // Nothing was stored under those validators: ask for everything.
        validators = undefined;
        result = await processor.discover({ id: canonical, config: effective }, { logger, signal });
      }
    }
    if (!result.notModified) {
      // The upstream's answer is checked before anything stores or walks
      // it; what a check drops is named on the artifact, not lost.
      const checked = checkDiscoveryOutput(result, { processors });
      ({ warnings } = checked);
      result = { notModified: false, ...checked };
      if (warnings.length > 0) {
        logger.warn(
          `Discovery of ${processorName}:${canonical} dropped parts of the upstream's answer: ${warnings.join('; ')}`,
        );
      }
      // The listing only: the files and dependencies of the versions the
      // walk selects are stored after it (see describeSelected), or come
      // per version from a processor that describes them. Stored with the
      // outcome, together with other artifacts' that end meanwhile.
      const listed = await options.recording.recordListing({
        artifactRef: artifact.ref,
        versions: result.versions,
        outcome: {
          runId,
          status: 'ok',
          validators: result.validators && { ...result.validators, config: effective },
          tags: result.tags,
          warnings,
        },
      });
      options.listed?.set(artifact.ref, listed);
    }
  } catch (error) {
    await stores.artifacts.recordDiscovery(artifact.ref, {
      runId,
      status: 'error',
      error: errorMessage(error),
    });
    throw error;
  }

  if (result.notModified) {
    // Unchanged and recorded as fine already: nothing to write.
    if (artifact.status !== 'ok' || artifact.lastError !== undefined) {
      await stores.artifacts.recordDiscovery(artifact.ref, { runId, status: 'ok' });
    }
    options.stored?.set(artifact.ref, stored);
    let undescribed: Set<string> | undefined;
    for (const v of stored) if (!v.described) (undescribed ??= new Set()).add(v.version);
    return {
      notModified: true,
      // The listing's stand-ins share their empty lists: a run answered
      // 304 makes one per stored version, and nothing adds to them.
      versions: stored.map(v => ({ version: v.version, publishedAt: v.publishedAt, files: NO_FILES, dependencies: NO_DEPENDENCIES })),
      dependenciesOf: storedDependencies(stores, stored),
      ...(undescribed ? { undescribed } : {}),
      tags: artifact.tags,
      validators,
      config: effective,
    };
  }

  // Named rather than spread from `result`: a spread's copy gets a hidden
  // class of its own, and the walk holds one discovery per artifact.
  return {
    notModified: false,
    versions: result.versions,
    ...(result.tags ? { tags: result.tags } : {}),
    ...(result.validators ? { validators: result.validators } : {}),
    warnings,
    config: effective,
  };
}

/**
 * The stored dependencies of a version, as the processor declared them:
 * those of the versions selected before are at hand, the others are read
 * when the walk asks, those asked for at once in one statement.
 */
function storedDependencies(
  stores: RunDiscoveryOptions['stores'],
  versions: WalkedVersion[],
): (version: string) => Promise<ProcessorDependency[]> {
  // Nothing is indexed up front: the walk asks for the few versions it
  // selects, and a run answered 304 makes one of these per artifact.
  let read: ((ref: number) => Promise<StoredDependency[] | undefined>) | undefined;
  return async version => {
    const stored = versions.find(v => v.version === version);
    if (stored === undefined) return [];
    const dependencies =
      stored.status === 'selected'
        ? stored.dependencies
        : (await (read ??= tickBatch((asked: number[]) => stores.versions.getDependencies(asked)))(stored.ref)) ?? [];
    return dependencies.map(asDeclared);
  };
}

/** A stored dependency as the processor declared it: a run's own verdict is tried again. */
function asDeclared(d: StoredDependency): ProcessorDependency {
  return {
    processor: d.processor,
    id: d.id,
    range: d.range,
    kind: d.kind,
    config: d.config,
    unresolvable: d.declaredUnresolvable,
  };
}

/**
 * Describes one version for the resolver, for processors that describe
 * versions on demand, and for versions a 304 left stored without their
 * files and dependencies (from the listing asked for again): checked like
 * any discovery output and persisted (files and dependencies of that
 * version). A failure is recorded on the artifact and rethrown; the walk
 * records it as the artifact's.
 */
export async function describeForRun(
  options: RunDiscoveryOptions,
  runId: string,
  processorName: string,
  id: string,
  config: JsonObject,
  version: string,
  refs: Map<string, StoredArtifact>,
  signal?: AbortSignal,
  dependencyPolicy?: DependencyPolicy,
): Promise<ProcessorVersion> {
  const { stores, processors, logger } = options;
  const artifact = refs.get(`${processorName}:${id}`);
  if (!artifact) throw new Error(`${processorName}:${id} was not discovered in this run`);
  try {
    const described = processors.get(processorName).describeVersion
      ? await describeChecked(processors, processorName, id, config, version, logger, signal, dependencyPolicy)
      : await describeFromListing(options, processorName, id, config, version, signal);
    await stores.versions.syncVersions(artifact.ref, [described]);
    return described;
  } catch (error) {
    await stores.artifacts.recordDiscovery(artifact.ref, {
      runId,
      status: 'error',
      error: `version ${version}: ${errorMessage(error)}`,
    });
    throw error;
  }
}

/**
 * A processor's description of one version, through the same checks as a
 * discovery's output; it must describe the version asked for.
 */
export async function describeChecked(
  processors: ProcessorRegistry,
  processorName: string,
  id: string,
  config: JsonObject,
  version: string,
  logger: LoggerService,
  signal?: AbortSignal,
  dependencyPolicy?: DependencyPolicy,
): Promise<ProcessorVersion> {
  const processor = processors.get(processorName);
  if (!processor.describeVersion) throw new Error(`${processorName} does not describe versions`);
  const answer = await processor.describeVersion({ id, config, version }, { logger, signal, dependencyPolicy });
  const checked = checkDiscoveryOutput({ versions: [answer] }, { processors });
  const described = checked.versions.find(v => v.version === version);
  if (!described) throw new Error(`the description is not of version ${version}`);
  if (checked.warnings.length > 0) {
    logger.warn(`Describing ${processorName}:${id} ${version} dropped parts of the answer: ${checked.warnings.join('; ')}`);
  }
  return described;
}
