/**
 * The resolver's public data: what a walk starts from, what the discover
 * callback answers, and the closure it returns. Apart from the walk so
 * that callers (the runner, the preview) read the shapes without the
 * algorithm.
 */
import { JsonObject } from '@backstage/types';
import { AdmissionPathStep, AdmissionVerdict, ArtifactAdmissionSettings } from '../admission/types';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';
import {
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
  /** The root's own admission settings; the walk passes them to no one but its admit callback's owner. */
  admission?: ArtifactAdmissionSettings;
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
      /**
       * The stored dependencies of a version, when `versions` leaves them
       * out: a run after a 304 reads those of the versions it selects, not
       * those of every version the artifact ever had. The walk then asks
       * this instead of `versions[].dependencies`.
       */
      dependenciesOf?: (version: string) => Promise<ProcessorDependency[]>;
      /**
       * Versions stored without their files and dependencies (a run stores
       * those of the versions it selects only): the walk has the `describe`
       * callback describe them when it asks admission about one or selects
       * one, as for a processor that describes versions on demand.
       */
      undescribed?: ReadonlySet<string>;
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
 * Describes one selected version of an artifact whose processor describes
 * versions on demand (`BackpackProcessor.describeVersion`), or a version a
 * 304 discovery lists as `undescribed`: its files and dependencies, under
 * the config the artifact was discovered with.
 *
 * @public
 */
export type ClosureDescribeFn = (
  processor: string,
  id: string,
  config: JsonObject,
  version: string,
  options: {
    signal?: AbortSignal;
    /** The policy the version's dependencies will be resolved under (the root's, or `latest`). */
    dependencyPolicy?: DependencyPolicy;
  },
) => Promise<ProcessorVersion>;

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
 * What the walk asks before it selects a version: the version as the
 * discovery (or description) lists it, and the path that reached it.
 *
 * @public
 */
export interface ClosureAdmissionRequest {
  processor: string;
  id: string;
  config: JsonObject;
  version: string;
  described?: ProcessorVersion;
  path: AdmissionPathStep[];
}

/**
 * Decides whether a version may be selected; see `closure/admissionGate.ts`.
 *
 * @public
 */
export type ClosureAdmitFn = (
  request: ClosureAdmissionRequest,
  options: { signal?: AbortSignal },
) => Promise<AdmissionVerdict>;

/**
 * Options of {@link ClosureResolver}.
 *
 * @public
 */
export interface ClosureResolverOptions {
  processors: ProcessorRegistry;
  discover: ClosureDiscoverFn;
  compileFilter: ClosureFilterCompiler;
  /**
   * Describes the selected versions of processors that describe versions
   * on demand, and the `undescribed` versions of a 304 discovery; without
   * it those versions have no files and no dependencies.
   */
  describe?: ClosureDescribeFn;
  /** Asked before a version is selected; without it every version is. */
  admit?: ClosureAdmitFn;
  /** Discoveries (and descriptions) in flight at once; default 16. */
  concurrency?: number;
}

/**
 * Why an artifact has no usable discovery.
 *
 * - `not-found`: the discover callback threw a NotFoundError.
 * - `failed`: any other discovery error, an unknown processor, or a
 *   selected version that could not be described.
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
  /** The admission verdict (allow or pending-approval), when the walk asked for one. */
  admission?: AdmissionVerdict;
}

/**
 * A version the walk would have selected but admission denied.
 *
 * @public
 */
export interface ClosureRefusal {
  version: string;
  /** Why it would have been selected. */
  selection: SelectionReason[];
  admission: AdmissionVerdict;
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
  /**
   * What the discover callback returned, with the descriptions of the
   * selected versions in place of their listing entries; absent when it
   * failed.
   */
  discovery?: ClosureDiscovery;
  error?: ClosureArtifactError;
  /** Selected versions in ascending version order. */
  selected: ClosureVersion[];
  /** Versions admission denied, in ascending version order; absent when none. */
  refused?: ClosureRefusal[];
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
    /** Versions admission denied, and selected versions waiting for approval. */
    versionsDenied: number;
    versionsPendingApproval: number;
  };
}
