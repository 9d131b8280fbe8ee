import { JsonObject } from '@backstage/types';
import {
  Artifact,
  ArtifactDependency,
  ArtifactFile,
  ArtifactFileStatus,
  ArtifactStatus,
  ArtifactVersion,
  ArtifactVersionStatus,
  DependencyPolicy,
  FileErrorKind,
  FilterType,
  MirrorRun,
  MirrorRunCounters,
  MirrorRunStatus,
  MirrorRunTrigger,
  SelectionReason,
} from '../types';
import {
  DiscoveryValidators,
  ProcessorVersion,
} from '../processors/types';
import { ArtifactScope, RunVisibility } from './artifactScope';

/**
 * A filter over artifacts, the query form of a conditional permission
 * decision (see `permissions/rules.ts`).
 */
export type ArtifactFilter =
  | { allOf: ArtifactFilter[] }
  | { anyOf: ArtifactFilter[] }
  | { not: ArtifactFilter }
  | { key: 'processor'; values: string[] }
  | { key: 'root'; value: boolean };

/** HTTP validators of an artifact's last discovery and the config they hold for. */
export interface StoredValidators extends DiscoveryValidators {
  /** The config the artifact was discovered under; another config needs a fresh request. */
  config?: JsonObject;
}

/** An artifact with the internal key its child rows reference. */
export interface StoredArtifact extends Artifact {
  ref: number;
  validators?: StoredValidators;
  tags?: Record<string, string>;
}

export interface ArtifactCounts {
  versions: number;
  selectedVersions: number;
  files: number;
  collected: number;
  failed: number;
  bytes: number;
}

export interface NewArtifact {
  processor: string;
  id: string;
  filter?: string;
  filterType?: FilterType;
  config: JsonObject;
  root: boolean;
  dependencyPolicy: DependencyPolicy;
  createdBy?: string;
}

export interface ArtifactPatch {
  filter?: string | null;
  filterType?: FilterType | null;
  config?: JsonObject;
  dependencyPolicy?: DependencyPolicy;
  root?: boolean;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface ListArtifactsQuery {
  processor?: string;
  root?: boolean;
  status?: ArtifactStatus;
  /** Case-insensitive substring of the id. */
  search?: string;
  limit: number;
  offset: number;
  /** From a conditional permission decision; applied in SQL so pagination stays right. */
  filter?: ArtifactFilter;
}

/** A version with the dependencies it declares, as stored. */
export interface StoredVersion extends ArtifactVersion {
  ref: number;
  dependencies: StoredDependency[];
}

/**
 * A dependency as stored. `unresolvable` (as the API shows it) is the
 * processor's reason or else the last run's; `declaredUnresolvable` is the
 * processor's alone, which is what a run that reuses stored dependencies
 * after a 304 must pass on, so that the others are resolved again.
 */
export interface StoredDependency extends ArtifactDependency {
  declaredUnresolvable?: string;
}

/** A file with what the collector needs to fetch and record it. */
export interface StoredFile extends ArtifactFile {
  ref: number;
  versionRef: number;
  artifactRef: number;
  processor: string;
  artifactId: string;
  version: string;
  runId?: string;
  lockedBy?: string;
  lockedUntil?: string;
}

/** What one call to {@link BackpackStore.syncVersions} changed. */
export interface SyncResult {
  versionsAdded: number;
  filesAdded: number;
  dependenciesAdded: number;
  rowsWritten: number;
}

export interface VersionSelection {
  version: string;
  status: ArtifactVersionStatus;
  selection: SelectionReason[];
}

export interface DependencyResolution {
  version: string;
  processor: string;
  id: string;
  kind: ArtifactDependency['kind'];
  range: string;
  resolved: string[];
  unresolvable?: string;
}

/** Which failed or parked files {@link BackpackStore.resetFiles} moves back to pending. */
export interface FileResetScope {
  statuses: Array<'failed' | 'parked'>;
  artifactRefs?: number[];
  /** Artifacts of this processor only. */
  processor?: string;
  /** The artifact with this (canonical) id only. */
  id?: string;
  /** Files whose last error was of this kind only. */
  errorKind?: FileErrorKind;
  /** From a conditional permission decision. */
  filter?: ArtifactFilter;
  /** Files that failed or were parked at least this long ago only. */
  settledBeforeMs?: number;
}

export interface NewRun {
  trigger: MirrorRunTrigger;
  scope?: { processor: string; id: string };
  requestedBy?: string;
}

/**
 * Everything Backpack keeps in its database. Implementations hide knex;
 * every method is safe to call from several replicas at once.
 */
export interface BackpackStore {
  // Artifacts
  createArtifact(artifact: NewArtifact): Promise<StoredArtifact>;
  /** Adds a dependency artifact if (processor, id) is unknown; returns the stored row either way. */
  ensureArtifact(artifact: NewArtifact): Promise<StoredArtifact>;
  getArtifact(processor: string, id: string): Promise<StoredArtifact | undefined>;
  listArtifacts(query: ListArtifactsQuery): Promise<Page<StoredArtifact>>;
  /** Root artifacts, or every artifact when `rootsOnly` is false. */
  listAllArtifacts(options?: { rootsOnly?: boolean }): Promise<StoredArtifact[]>;
  updateArtifact(ref: number, patch: ArtifactPatch): Promise<StoredArtifact>;
  /**
   * Records the outcome of a discovery; writes only when something changed.
   * `warnings` replaces the stored ones (an empty list clears them); absent,
   * they stay as they were (a 304 changes nothing).
   */
  recordDiscovery(
    ref: number,
    outcome: {
      runId: string;
      status: ArtifactStatus;
      error?: string;
      validators?: StoredValidators;
      tags?: Record<string, string>;
      warnings?: string[];
    },
  ): Promise<void>;
  /**
   * Deletes an artifact with its versions, files and dependencies. Returns
   * the storage keys that no remaining file references, for purging.
   */
  deleteArtifact(ref: number): Promise<{ orphanedStorageKeys: string[] }>;
  countArtifact(ref: number): Promise<ArtifactCounts>;
  /** Dependencies declared by the artifact's selected versions, deduplicated by target and range. */
  listArtifactDependencies(ref: number): Promise<ArtifactDependency[]>;

  // Versions, files, dependencies
  /**
   * Inserts versions, files and dependencies that are new; never rewrites
   * unchanged rows. Files keep their collection state. Each new file's
   * storage key is derived from (processor, id, version, name) by
   * `fileStorageKey`; files that `fileRefusal` refuses are recorded as
   * parked with the reason.
   *
   * @param legacyStorageKey - ignored; kept so that callers written for
   * processor-chosen keys still compile. Remove once no caller passes it.
   */
  syncVersions(
    artifactRef: number,
    versions: ProcessorVersion[],
    /** @deprecated ignored: keys are derived by `fileStorageKey`. */
    legacyStorageKey?: (path: string) => string,
  ): Promise<SyncResult>;
  /** Every version of an artifact with its declared dependencies. */
  getVersions(artifactRef: number): Promise<StoredVersion[]>;
  listVersions(
    artifactRef: number,
    query: { status?: ArtifactVersionStatus; limit: number; offset: number },
  ): Promise<Page<ArtifactVersion>>;
  /**
   * Sets status and reasons. With `replace` (a full run), versions not listed
   * become `discovered`; without it (a run scoped to one artifact), the
   * selections are added to what is stored. Returns rows written.
   */
  setSelection(
    artifactRef: number,
    selections: VersionSelection[],
    options?: { replace: boolean },
  ): Promise<number>;
  /**
   * Records how each dependency resolved in a run: the versions, or why none
   * (unless it is the processor's declared reason). Returns rows written.
   */
  setResolutions(artifactRef: number, resolutions: DependencyResolution[]): Promise<number>;
  listFiles(
    artifactRef: number,
    version: string,
    query: { status?: ArtifactFileStatus; limit: number; offset: number },
  ): Promise<Page<ArtifactFile> | undefined>;

  // Collection
  /**
   * Files of selected versions that are not collected and not in flight
   * (not queued within `staleAfterMs`, or whose lease expired). Optionally
   * limited to some artifacts.
   */
  listFilesToQueue(options: {
    artifactRefs?: number[];
    staleAfterMs: number;
    includeFailed?: boolean;
  }): Promise<StoredFile[]>;
  /**
   * Marks files queued, by a run when `runId` is given (a sweep outside a
   * run keeps the run that queued them first); returns how many moved.
   */
  markQueued(fileRefs: number[], runId?: string): Promise<number>;
  getFile(fileRef: number): Promise<StoredFile | undefined>;
  /** Takes an exclusive lease on a file for one worker; false if another holds it or it is collected. */
  claimFile(fileRef: number, worker: string, leaseMs: number): Promise<boolean>;
  /** In one transaction: the file is collected and its run's counters move. */
  markCollected(
    fileRef: number,
    result: { size: number; digest: string; storageKey: string },
  ): Promise<void>;
  /**
   * Gives up a worker's lease without recording an attempt, e.g. when its
   * download was interrupted by a shutdown; the file stays queued.
   */
  releaseFile(fileRef: number, worker: string): Promise<void>;
  /** Records a failed attempt and the kind of its error; `parked` when no retry follows. */
  markFailed(
    fileRef: number,
    result: { error: string; parked: boolean; errorKind?: FileErrorKind },
  ): Promise<void>;
  /**
   * Failed or parked files in the scope back to pending, with no attempts
   * and detached from the run that queued them; returns how many moved
   * and the artifacts they belong to.
   */
  resetFiles(scope: FileResetScope): Promise<{ moved: number; artifactRefs: number[] }>;
  /**
   * Takes back expired leases of files not collected (their worker died or
   * stopped renewing): the files are queued again, each by exactly one
   * caller, which gets its ref and run to enqueue.
   */
  takeExpiredLeases(): Promise<Array<{ ref: number; runId?: string }>>;
  /** Workers holding a lease on a file that is not collected. */
  listLeaseHolders(): Promise<string[]>;
  /** Ends the leases of these (dead) workers at once; returns how many ended. */
  expireLeases(workers: string[]): Promise<number>;
  /**
   * Failed or parked files of an artifact back to pending, with no attempts
   * and detached from the run that queued them; returns their refs.
   */
  resetFailedFiles(artifactRef: number): Promise<number[]>;
  /** Whether any remaining file references the storage key. */
  isStorageKeyReferenced(storageKey: string): Promise<boolean>;
  /** Files of selected versions by processor and status, of the artifacts in `scope` (default all). */
  stats(scope?: ArtifactScope): Promise<
    Array<{ processor: string; status: ArtifactFileStatus; files: number; bytes: number }>
  >;

  /**
   * Refreshes the query planner's statistics when many rows were written
   * since the last refresh, e.g. after a first large run: without them a
   * fresh PostgreSQL database plans sequential scans over dependencies.
   */
  refreshStatistics(): Promise<void>;

  // Runs
  createRun(run: NewRun): Promise<MirrorRun>;
  /** Atomically moves a queued run to running for one replica; false if another has it. */
  claimRun(id: string, worker: string): Promise<boolean>;
  heartbeatRun(id: string): Promise<void>;
  addRunCounters(id: string, delta: Partial<MirrorRunCounters>): Promise<void>;
  /**
   * Records a run's outcome. With `from`, only if the run is in that status
   * still; returns whether it was written.
   */
  finishRun(
    id: string,
    outcome: {
      status: MirrorRunStatus;
      error?: string;
      artifactsFailed?: number;
      filesParked?: number;
      from?: MirrorRunStatus;
    },
  ): Promise<boolean>;
  /** A running run whose walk is done waits for its files; false if it was not running. */
  markRunCollecting(id: string, outcome: { artifactsFailed: number; error?: string }): Promise<boolean>;
  /** Files of each run that are neither collected nor parked (one statement). */
  countOutstandingFiles(runIds: string[]): Promise<Map<string, number>>;
  countParkedFiles(runId: string): Promise<number>;
  /**
   * Takes over collecting runs whose watcher sent no heartbeat for
   * `staleAfterMs` or that `isDead` says is gone; returns their ids.
   */
  takeOverCollectingRuns(
    worker: string,
    options: { staleAfterMs: number; isDead?: (worker: string) => boolean },
  ): Promise<string[]>;
  /** Hands the collecting runs of a stopping watcher over to the next one at once. */
  releaseCollectingRuns(worker: string): Promise<number>;
  /** A run; undefined when missing or, given `visible`, not visible. */
  getRun(id: string, visible?: RunVisibility): Promise<MirrorRun | undefined>;
  /** Newest first; only the runs `visible` lets through when given. */
  listRuns(query: {
    status?: MirrorRunStatus;
    limit: number;
    offset: number;
    visible?: RunVisibility;
  }): Promise<Page<MirrorRun>>;
  /** Queued runs, oldest first, and running runs whose heartbeat is older than `staleAfterMs`. */
  listRunnableRuns(staleAfterMs: number): Promise<MirrorRun[]>;
}
