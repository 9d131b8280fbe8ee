import { LoggerService } from '@backstage/backend-plugin-api';
import { WalkAdmission } from '../admission/walkAdmission';
import { InputError, NotFoundError } from '@backstage/errors';
import { StoredArtifact } from '../database/ArtifactStore';
import { BackpackStores } from '../database/createBackpackStores';
import { compileVersionFilter } from '../closure/versionFilter';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';
import { MirrorRun } from '../types';
import {
  ClosureArtifact,
  ClosureResolver,
  ClosureResult,
  ClosureRoot,
} from '../closure/ClosureResolver';
import { checkDiscoveryOutput } from '../processors/discoveryOutput';
import { BackpackEvents } from '../events/BackpackEvents';
import { trackVersionDecisions } from '../events/versionDecisions';
import { RunProgress } from './RunProgress';
import { admissionSelections } from './admissionSelections';
import { describeChecked, describeForRun, discoverForRun, prefetchStored } from './runDiscovery';
import { askAhead } from './askAhead';
import { RunRecording } from './runRecording';
import { DEFAULT_DISCOVERY_CONCURRENCY } from './discoveryConcurrency';
import { describeSelected } from './runDescriptions';
import { resolutionsToRecord } from './resolutionsToRecord';
import { WalkedVersion } from '../database/VersionGraphStore';

/** Queues what a run selected; the collection side of a run. */
export interface CollectionScheduler {
  enqueuePending(options: {
    runId: string;
    artifactRefs?: number[];
    staleAfterMs: number;
    /** Artifacts whose files parked after transient failures are queued again. */
    recoverParkedOf?: number[];
  }): Promise<number>;
}

/** What a run's walk found, for its status. */
export interface RunWalkOutcome {
  /** `processor:id` and error of every artifact whose discovery failed. */
  failedArtifacts: Array<{ key: string; message: string }>;
  /** True when there were roots and the discovery of every one failed. */
  everyRootFailed: boolean;
  filesQueued: number;
}

/** Options of {@link MirrorRunner}. */
export interface MirrorRunnerOptions {
  stores: Pick<BackpackStores, 'artifacts' | 'versions' | 'runs'>;
  /** Asked before each version is selected; without it every version is admitted. */
  admission?: WalkAdmission;
  processors: ProcessorRegistry;
  collection: CollectionScheduler;
  logger: LoggerService;
  /**
   * Queued files younger than this are taken to be in flight and not queued
   * again. Short for the in-process queue (its jobs die with the process),
   * long for RabbitMQ (its jobs survive).
   */
  requeueAfterMs: number;
  /** Discoveries in flight at once. */
  concurrency?: number;
  /** Told of the versions each run newly selects or denies. */
  events?: BackpackEvents;
}

function rootOf(artifact: StoredArtifact): ClosureRoot {
  return {
    processor: artifact.processor,
    id: artifact.id,
    config: artifact.config,
    filter: artifact.filter,
    filterType: artifact.filterType,
    dependencyPolicy: artifact.dependencyPolicy,
    ...(artifact.admission ? { admission: artifact.admission } : {}),
  };
}

/**
 * The Gateway and the Router of a mirror run: walks the dependency graph
 * from the root artifacts (discovering each artifact once, persisting what
 * is new), records which versions are selected and why, then queues every
 * selected file that is not collected yet.
 *
 * A run that finds nothing new upstream receives 304s, writes no rows and
 * queues nothing.
 */
export class MirrorRunner {
  constructor(private readonly options: MirrorRunnerOptions) {}

  /** Resolves the closure of roots without writing anything (the preview). */
  async preview(roots: ClosureRoot[], signal?: AbortSignal): Promise<ClosureResult> {
    const { processors } = this.options;
    const resolver = new ClosureResolver({
      processors,
      compileFilter: compileVersionFilter,
      concurrency: this.options.concurrency,
      discover: async (processorName, id, config, { signal: s }) => {
        const processor = processors.get(processorName);
        const result = await processor.discover(
          { id, config },
          { logger: this.options.logger, signal: s },
        );
        if (result.notModified) {
          throw new Error(`Unexpected 304 for ${processorName}:${id} without validators`);
        }
        return { notModified: false, ...checkDiscoveryOutput(result, { processors }) };
      },
      describe: (processor, id, config, version, { signal: s, dependencyPolicy }) =>
        describeChecked(processors, processor, id, config, version, this.options.logger, s, dependencyPolicy),
      admit: this.options.admission?.admitFn({
        storedFacts: false,
        // The previewed roots' settings are the caller's; other artifacts' are stored.
        settingsOf: async (processor, id) => {
          const root = roots.find(r => r.processor === processor && r.id === id);
          if (root) return root.admission;
          return (await this.options.stores.artifacts.getArtifact(processor, id))?.admission;
        },
      }),
    });
    return resolver.resolve(roots, { signal });
  }

  /** Executes a claimed run: the walk and the enqueueing of what it selected. */
  async execute(run: MirrorRun, signal: AbortSignal): Promise<RunWalkOutcome> {
    const { stores, logger } = this.options;
    const roots = await this.roots(run);
    const runId = run.id;
    const refs = new Map<string, StoredArtifact>();
    const progress = new RunProgress({ stores, runId, logger });
    // A full run reaches (nearly) every stored artifact: read them and
    // their versions in a few statements rather than a few per artifact.
    const prefetched = run.scope ? undefined : await prefetchStored(stores);
    // Ends the requests sent ahead that the walk did not need.
    const ahead = new AbortController();
    const forward = () => ahead.abort(signal.reason);
    signal.addEventListener('abort', forward, { once: true });
    if (prefetched) {
      prefetched.answeredAhead = askAhead({
        ...this.options,
        artifacts: prefetched.all,
        versions: prefetched.versions,
        concurrency: this.options.concurrency ?? DEFAULT_DISCOVERY_CONCURRENCY,
        signal: ahead.signal,
      });
    }
    const discovery = {
      ...this.options,
      recording: new RunRecording(stores),
      prefetched,
      listings: new Map(),
      listed: new Map(),
      stored: new Map(),
    };
    try {
      let discovered = 0;
      const resolver = new ClosureResolver({
        processors: this.options.processors,
        compileFilter: compileVersionFilter,
        concurrency: this.options.concurrency,
        discover: async (processor, id, config, { signal: s }) => {
          try {
            return await discoverForRun(discovery, runId, processor, id, config, refs, s);
          } finally {
            discovered += 1;
            progress.add({ artifacts: 1 });
          }
        },
        describe: (processor, id, config, version, { signal: s, dependencyPolicy }) =>
          describeForRun(discovery, runId, processor, id, config, version, refs, s, dependencyPolicy),
        admit: this.options.admission?.admitFn({
          storedFacts: true,
          settingsOf: async (processor, id) => refs.get(`${processor}:${id}`)?.admission,
          artifactRefOf: (processor, id) => refs.get(`${processor}:${id}`)?.ref,
        }),
      });
      const closure = await resolver.resolve(roots.map(rootOf), { signal });
      // The selected versions' files and dependencies, with their resolutions.
      const resolved = await describeSelected(discovery, closure, refs);
      discovery.listed.clear();
      // Artifacts of unknown processors were reached without a discovery.
      progress.add({ artifacts: closure.stats.artifacts - discovered });

      // A full run decides selection for every artifact; a run scoped to
      // one artifact only adds to it. So does a full run in which a
      // discovery failed: what it would deselect may only be missing
      // because a registry was down, and deselecting it would stop it
      // being served.
      const failed = closure.artifacts.filter(a => a.error?.type === 'failed');
      const replace = !run.scope && failed.length === 0;
      if (!run.scope && failed.length > 0) {
        logger.warn(
          `Mirror run ${runId}: discovery failed for ${failed.map(a => a.key).join(', ')}; ` +
            'keeping the selections of earlier runs',
        );
      }
      let versionsSelected = 0;
      const reached = new Set<number>();
      const recorded: Array<{ stored: StoredArtifact; artifact: ClosureArtifact }> = [];
      for (const artifact of closure.artifacts) {
        const stored = refs.get(artifact.key);
        if (!stored) continue;
        reached.add(stored.ref);
        recorded.push({ stored, artifact });
        versionsSelected += artifact.selected.length;
      }
      // Version events compare each artifact's decisions before and after
      // they are recorded (no reads when no events are published).
      const announce = await trackVersionDecisions({
        ...this.options,
        versions: stores.versions,
        runId,
        artifacts: recorded.map(r => r.stored),
      });
      const rowsWritten = await this.record(runId, recorded, replace, resolved, discovery.stored);
      await announce({ rowsWritten });
      await this.options.admission?.record(
        recorded.map(({ stored, artifact }) => ({ artifactRef: stored.ref, artifact, stored: discovery.stored.get(stored.ref) })),
      );
      discovery.stored.clear();
      // What the upstreams listed (every version, with files and
      // dependencies) is stored now, the facts of its versions too: the
      // rest of the run uses the selections only, and should not hold it.
      for (const artifact of closure.artifacts) delete artifact.discovery;
      progress.add({ versionsSelected });
      if (replace) {
        // Artifacts no root reaches any more keep their rows, selected
        // nothing: those stored when the run started (the prefetch), since
        // one created meanwhile (a new root) is not this run's to deselect.
        const stored = discovery.prefetched?.all ?? (await stores.artifacts.listAllArtifacts());
        const unreached = stored.filter(a => !reached.has(a.ref));
        await stores.versions.recordClosure(
          unreached.map(a => ({ artifactRef: a.ref, selections: [], resolutions: [] })),
          { replace: true },
        );
      }
      progress.add({
        versionsDenied: closure.stats.versionsDenied,
        versionsPendingApproval: closure.stats.versionsPendingApproval,
      });
      await progress.flush();

      await stores.versions.refreshStatistics();

      // A failed discovery is the run's failure too: a root that is not
      // found or whose filter is invalid, and any artifact whose upstream
      // did not answer. A dependency that does not exist is an
      // unresolvable range of its parent, not a failure.
      const failedArtifacts = closure.artifacts
        .filter(a => a.error && (a.error.type === 'failed' || a.root))
        .map(a => ({ key: a.key, message: a.error!.message }));
      const rootKeys = closure.artifacts.filter(a => a.root);
      const everyRootFailed =
        rootKeys.length > 0 && rootKeys.every(a => a.error !== undefined);
      if (everyRootFailed) {
        return { failedArtifacts, everyRootFailed, filesQueued: 0 };
      }

      // The upstreams that answered are back: their files parked after
      // transient failures (an outage) are queued again with this run.
      const failedKeys = new Set(failedArtifacts.map(a => a.key));
      const answered = closure.artifacts
        .filter(a => !failedKeys.has(a.key) && a.error?.type !== 'not-found')
        .map(a => refs.get(a.key)?.ref)
        .filter((ref): ref is number => ref !== undefined);
      const queued = await this.options.collection.enqueuePending({
        runId,
        artifactRefs: run.scope ? [...reached] : undefined,
        staleAfterMs: this.options.requeueAfterMs,
        recoverParkedOf: answered,
      });
      progress.add({ filesQueued: queued });
      logger.info(
        `Mirror run ${runId}: ${closure.stats.artifacts} artifacts (${failedArtifacts.length} failed), ` +
          `${versionsSelected} versions selected, ` +
          `${closure.stats.unresolvable} unresolvable dependencies, ${queued} files queued`,
      );
      return { failedArtifacts, everyRootFailed, filesQueued: queued };
    } finally {
      signal.removeEventListener('abort', forward);
      ahead.abort();
      await progress.flush();
    }
  }

  private async roots(run: MirrorRun): Promise<StoredArtifact[]> {
    const { stores } = this.options;
    if (run.scope) {
      const artifact = await stores.artifacts.getArtifact(run.scope.processor, run.scope.id);
      if (!artifact) {
        throw new NotFoundError(
          `Artifact '${run.scope.processor}:${run.scope.id}' no longer exists`,
        );
      }
      if (!artifact.root) {
        // Without a filter of its own it would select every version.
        throw new InputError(
          `Artifact '${run.scope.processor}:${run.scope.id}' is not a root; only roots scope a run`,
        );
      }
      return [artifact];
    }
    return stores.artifacts.listAllArtifacts({ rootsOnly: true });
  }

  /**
   * What the walk selected and how each dependency resolved, for every
   * artifact it reached in one batch: a few statements per hundreds of
   * artifacts, writing only what changed. Returns the selections and
   * resolutions written.
   */
  private async record(
    runId: string,
    recorded: Array<{ stored: StoredArtifact; artifact: ClosureArtifact }>,
    replace: boolean,
    /** Versions (`artifactRef\0version`) whose resolutions were stored with their dependencies. */
    resolved: Set<string>,
    /** The stored versions of the artifacts answered 304, by ref. */
    storedVersions: Map<number, WalkedVersion[]>,
  ): Promise<number> {
    const { stores } = this.options;
    const written = await stores.versions.recordClosure(
      recorded.map(({ stored, artifact }) => ({
        artifactRef: stored.ref,
        selections: admissionSelections(artifact),
        resolutions: resolutionsToRecord(artifact, stored.ref, resolved, storedVersions.get(stored.ref)),
      })),
      { replace },
    );
    for (const { stored, artifact } of recorded) {
      if (artifact.error && artifact.error.type === 'invalid-filter') {
        await stores.artifacts.recordDiscovery(stored.ref, {
          runId,
          status: 'error',
          error: artifact.error.message,
        });
      }
    }
    return written;
  }
}
