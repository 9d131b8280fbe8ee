import {
  ArtifactDependency,
  ArtifactFile,
  ArtifactFileStatus,
  ArtifactVersion,
  ArtifactVersionStatus,
  SelectionReason,
} from '../types';
import { ProcessorVersion } from '../processors/types';
import { ArtifactSelector } from './artifactScope';
import { DiscoveryOutcome } from './ArtifactStore';
import { Page } from './types';

/**
 * What a run reads of a stored version to walk it after a 304 and to
 * compare its outcome with: no reasons and no discovery time, which a run
 * neither walks nor compares (it records its own reasons in a statement
 * of their own).
 */
export interface WalkedVersion extends Pick<ArtifactVersion, 'version' | 'status' | 'publishedAt'> {
  ref: number;
  dependencies: StoredDependency[];
  /**
   * Whether its files and dependencies are stored: a run stores the listing
   * of every version, the files and dependencies of those it selects.
   */
  described: boolean;
}

/** A version with the dependencies it declares, as stored. */
export interface StoredVersion extends ArtifactVersion, WalkedVersion {}

/**
 * A dependency as stored. `unresolvable` (as the API shows it) is the
 * processor's reason or else the last run's; `declaredUnresolvable` is the
 * processor's alone, which is what a run that reuses stored dependencies
 * after a 304 must pass on, so that the others are resolved again.
 */
export interface StoredDependency extends ArtifactDependency {
  declaredUnresolvable?: string;
}

/** A version's status and reasons, without the rest of its row. */
export type DecidedVersion = Pick<ArtifactVersion, 'version' | 'status' | 'selection'>;

/** What one call to {@link VersionGraphStore.syncVersions} changed. */
export interface SyncResult {
  versionsAdded: number;
  filesAdded: number;
  dependenciesAdded: number;
  rowsWritten: number;
  /**
   * Of a listing (`listingOnly`): every version listed, by name, with its
   * row and whether its files and dependencies were stored before; what
   * {@link VersionGraphStore.describeVersions} takes.
   */
  listed?: Map<string, ListedVersion>;
}

/** One artifact's discovery, for {@link VersionGraphStore.recordListings}. */
export interface ListingEntry {
  artifactRef: number;
  /** The versions the upstream lists; those not stored yet are added, undescribed. */
  versions: ProcessorVersion[];
  outcome: DiscoveryOutcome;
}

/** A listed version's row, and whether its files and dependencies are stored. */
export interface ListedVersion {
  ref: number;
  described: boolean;
}

/** The status of a version and why it has it. */
export interface VersionSelection {
  version: string;
  status: ArtifactVersionStatus;
  selection: SelectionReason[];
}

/** How one declared dependency of a version resolved in a run. */
export interface DependencyResolution {
  version: string;
  processor: string;
  id: string;
  kind: ArtifactDependency['kind'];
  range: string;
  resolved: string[];
  unresolvable?: string;
}

/**
 * The version graph: the versions of each artifact, the files they are made
 * of (their description; collection state is the {@link FileStore}'s), the
 * dependencies they declare, which versions are selected and how each
 * dependency resolved. Implementations hide knex; every method is safe to
 * call from several replicas at once.
 */
export interface VersionGraphStore {
  /**
   * Inserts versions, files and dependencies that are new; never rewrites
   * unchanged rows. Files keep their collection state. Each new file's
   * storage key is derived by `storageKeyOf` (from (processor, id, version,
   * name), or the digest of a content-addressed file); files that
   * `fileRefusal` refuses or the processor skips are recorded as parked
   * with the reason. With `listingOnly`, only new versions are inserted
   * and marked undescribed (a listing: a run describes the versions it
   * selects, a processor that describes versions on demand describes them).
   */
  syncVersions(
    artifactRef: number,
    versions: ProcessorVersion[],
    options?: { listingOnly?: boolean },
  ): Promise<SyncResult>;
  /**
   * Stores what discoveries of several artifacts found, in one transaction
   * and a few statements: the new versions each lists, as
   * {@link VersionGraphStore.syncVersions} with `listingOnly` does for one,
   * and each discovery's outcome on its artifact, as
   * `ArtifactStore.recordDiscovery` does. All or nothing; a NotFoundError
   * when an artifact is gone. Returns each entry's listed versions.
   */
  recordListings(entries: ListingEntry[]): Promise<Array<Map<string, ListedVersion>>>;
  /**
   * Stores the files and dependencies of versions already listed (by
   * {@link VersionGraphStore.syncVersions} with `listingOnly`, whose
   * `listed` rows they are given with), for many artifacts in a few
   * statements, and marks them described; like `syncVersions`, never
   * rewrites unchanged rows. New dependency rows take the run's
   * `resolutions` of them.
   */
  describeVersions(
    entries: Array<{
      artifact: { processor: string; id: string };
      versions: Array<
        ListedVersion & {
          version: ProcessorVersion;
          resolutions?: Array<Pick<ArtifactDependency, 'processor' | 'id' | 'kind' | 'range' | 'resolved' | 'unresolvable'>>;
        }
      >;
    }>,
  ): Promise<SyncResult>;
  /**
   * Every version of an artifact with its declared dependencies; with
   * `dependencies: 'selected'` only the selected versions carry theirs
   * (the others an empty list), which is what a run after a 304 needs
   * first; {@link VersionGraphStore.getDependencies} reads the rest.
   */
  getVersions(artifactRef: number, options?: { dependencies?: 'all' | 'selected' }): Promise<StoredVersion[]>;
  /**
   * {@link VersionGraphStore.getVersions} with `dependencies: 'selected'`
   * for many artifacts, by artifact ref, in a few statements per chunk of
   * refs: what a full run reads up front instead of per artifact.
   */
  getVersionsOf(artifactRefs: number[]): Promise<Map<number, StoredVersion[]>>;
  /**
   * {@link VersionGraphStore.getVersionsOf} for every stored artifact, in
   * two statements (a full run), with only what a run walks of each version.
   */
  getAllVersions(): Promise<Map<number, WalkedVersion[]>>;
  /** The declared dependencies of versions, by version ref; one indexed read per chunk of refs. */
  getDependencies(versionRefs: number[]): Promise<Map<number, StoredDependency[]>>;
  /**
   * The versions of many artifacts with one of `statuses`, by artifact ref
   * (each ref asked for has an entry), a statement per chunk of refs.
   */
  listDecidedVersions(
    artifactRefs: number[],
    statuses: ArtifactVersionStatus[],
    /** `reasons: false`: each version's `selection` is left empty, for comparing statuses only. */
    options?: { reasons?: boolean },
  ): Promise<Map<number, DecidedVersion[]>>;
  /** Newest first, each with its admission verdict when it was checked; an unknown artifact has none. */
  listVersions(
    artifact: ArtifactSelector,
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
  /**
   * What a run selected and resolved, for many artifacts in a few
   * statements: {@link VersionGraphStore.setSelection} and
   * {@link VersionGraphStore.setResolutions} of each. Returns rows written.
   */
  recordClosure(
    entries: Array<{ artifactRef: number; selections: VersionSelection[]; resolutions: DependencyResolution[] }>,
    options: { replace: boolean },
  ): Promise<number>;
  /** The files of one version by name; undefined when the version is unknown. */
  listFiles(
    artifact: ArtifactSelector,
    version: string,
    query: { status?: ArtifactFileStatus; limit: number; offset: number },
  ): Promise<Page<ArtifactFile> | undefined>;
  /** Dependencies declared by the artifact's selected versions, deduplicated by target and range. */
  listArtifactDependencies(artifactRef: number): Promise<ArtifactDependency[]>;
  /**
   * Refreshes the query planner's statistics of the graph's tables when
   * many rows were written since the last refresh (by any store of the
   * same factory), e.g. after a first large run: without them a fresh
   * PostgreSQL database plans sequential scans over dependencies.
   */
  refreshStatistics(): Promise<void>;
}
