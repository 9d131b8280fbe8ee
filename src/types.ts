import { JsonObject } from '@backstage/types';
import type { AdmissionDecision, AdmissionReason, ArtifactAdmissionSettings } from './admission/types';

/**
 * How the versions of a dependency are chosen for each range a selected
 * parent version declares.
 *
 * - `none`: dependencies are recorded but not followed.
 * - `latest`: the highest version that satisfies the range, which is what the
 *   native client installs.
 * - `all-satisfying`: every version that satisfies the range.
 * - `all`: every version of the dependency.
 *
 * @public
 */
export type DependencyPolicy = 'none' | 'latest' | 'all-satisfying' | 'all';

/** @public */
export const DEPENDENCY_POLICIES: readonly DependencyPolicy[] = [
  'none',
  'latest',
  'all-satisfying',
  'all',
];

/**
 * How an artifact's `filter` is interpreted: a version range in the
 * ecosystem's own range language, or a regular expression on the version.
 *
 * @public
 */
export type FilterType = 'semver' | 'regex';

/** @public */
export type ArtifactStatus = 'pending' | 'ok' | 'error';

/**
 * A package in one ecosystem, keyed by `(processor, id)`.
 *
 * @public
 */
export interface Artifact {
  processor: string;
  id: string;
  /** Which versions to mirror; empty means all versions. */
  filter?: string;
  filterType?: FilterType;
  /** Processor-specific configuration, validated by the processor's schema. */
  config: JsonObject;
  /** True when a person or script added it; false when pulled in as a dependency. */
  root: boolean;
  dependencyPolicy: DependencyPolicy;
  /** The artifact's own admission settings, over the global `backpack.admission`. */
  admission?: ArtifactAdmissionSettings;
  status: ArtifactStatus;
  lastRunId?: string;
  lastRunAt?: string;
  lastError?: string;
  /**
   * What the last discovery dropped from the upstream's answer and why (a
   * version or file name too long, a file listed twice with different
   * contents, a dependency with an invalid id); at most 20.
   */
  warnings?: string[];
  createdAt: string;
  updatedAt: string;
  createdBy?: string;
}

/** @public */
export type ArtifactVersionStatus = 'discovered' | 'selected' | 'denied' | 'pending-approval';

/**
 * Why a version was selected or denied.
 *
 * @public
 */
export type SelectionReason =
  | { type: 'filter'; filter: string }
  | { type: 'all-versions' }
  | {
      type: 'required-by';
      processor: string;
      id: string;
      version: string;
      range: string;
    }
  | { type: 'denied'; reason: string };

/**
 * One release of an artifact.
 *
 * @public
 */
export interface ArtifactVersion {
  version: string;
  status: ArtifactVersionStatus;
  selection: SelectionReason[];
  discoveredAt: string;
  publishedAt?: string;
  /** The last admission verdict on the version, when it was checked. */
  admission?: {
    decision: AdmissionDecision;
    /** Every deny, or every wait, or who approved it; empty when the checks allowed it. */
    reasons: AdmissionReason[];
    decidedAt: string;
    /** A person's word on the version. */
    approval?: { decision: 'approved' | 'rejected'; by: string; at: string; comment?: string };
  };
}

/** @public */
export type ArtifactFileStatus =
  | 'pending'
  | 'queued'
  | 'collected'
  | 'failed'
  | 'parked';

/**
 * Whether a file's last collection error may go away by itself: `transient`
 * (network, timeout, 5xx, 408, 429) or `permanent` (other 4xx, a refused
 * host, an integrity mismatch). Parked transient files are queued again
 * automatically; permanent ones only by an explicit retry.
 *
 * @public
 */
export type FileErrorKind = 'transient' | 'permanent';

/**
 * Expected digest of a file as published by the upstream.
 *
 * @public
 */
export interface FileIntegrity {
  /**
   * `git-blob-sha1` is git's object id of the bytes as a blob, the sha1 of
   * `blob <size>\0` followed by the bytes (how the Hugging Face Hub names
   * files kept in git rather than LFS); it needs the file's size.
   */
  algorithm: 'sha512' | 'sha384' | 'sha256' | 'sha1' | 'md5' | 'git-blob-sha1';
  /** Lower-case hex digest. */
  digest: string;
}

/**
 * One downloadable file of a version.
 *
 * @public
 */
export interface ArtifactFile {
  name: string;
  uri: string;
  /** The processor's layout hint for the file (e.g. npm's `<name>/-/<file>`); not where it is stored. */
  folder?: string;
  /** Key of the bytes in the blob store, derived by Backpack from processor, artifact, version and name. */
  storageKey: string;
  integrity?: FileIntegrity;
  /**
   * Whether the bytes are (before collection: will be) checked against a
   * digest the upstream declared. Files without one are collected only
   * where `backpack.collection.unverifiedFiles` is `allow`.
   */
  verified: boolean;
  size?: number;
  status: ArtifactFileStatus;
  collected: boolean;
  collectedAt?: string;
  error?: string;
  /** The kind of `error`. */
  errorKind?: FileErrorKind;
  attempts: number;
}

/** @public */
export type DependencyKind = 'runtime' | 'peer' | 'optional';

/**
 * A direct dependency of a version.
 *
 * @public
 */
export interface ArtifactDependency {
  processor: string;
  id: string;
  /** The range the parent requires, in the ecosystem's range language. */
  range: string;
  kind: DependencyKind;
  config: JsonObject;
  /** Versions the range resolved to in the last run. */
  resolved: string[];
  /** Set when the dependency could not be resolved (unknown package, no satisfying version, unsupported spec). */
  unresolvable?: string;
  /** Where the parent declares it, when the processor says (e.g. a chart's image: `values.yaml image`). */
  source?: string;
}

/** @public */
export type MirrorRunTrigger = 'schedule' | 'manual' | 'artifact';

/**
 * Where a mirror run is:
 *
 * - `queued`, `running`: waiting for a replica, walking the graph.
 * - `collecting`: the walk is done and files it queued are still neither
 *   collected nor parked.
 * - `succeeded`: every artifact was discovered and every file collected.
 * - `partial`: done, but some discovery failed or some files were parked
 *   (`counters.artifactsFailed`, `counters.filesParked`, `error`).
 * - `failed`: the run itself failed, or the discovery of every root did.
 *
 * @public
 */
export type MirrorRunStatus =
  | 'queued'
  | 'running'
  | 'collecting'
  | 'succeeded'
  | 'partial'
  | 'failed';

/**
 * Progress counters of a mirror run.
 *
 * @public
 */
export interface MirrorRunCounters {
  artifacts: number;
  /** Artifacts whose discovery failed (roots not found included). */
  artifactsFailed: number;
  versionsSelected: number;
  filesQueued: number;
  filesCollected: number;
  /** Files this run queued that were parked, counted when parked. */
  filesFailed: number;
  /** Files of this run that were still parked when the run settled. */
  filesParked: number;
  bytes: number;
  /** Versions admission denied. */
  versionsDenied: number;
  /** Selected versions waiting for approval (their files are not queued). */
  versionsPendingApproval: number;
}

/**
 * One mirror run: a walk of the dependency graph and the collection it queued.
 *
 * @public
 */
export interface MirrorRun {
  id: string;
  trigger: MirrorRunTrigger;
  /** The artifact the run is scoped to, when triggered by one. */
  scope?: { processor: string; id: string };
  requestedBy?: string;
  status: MirrorRunStatus;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
  counters: MirrorRunCounters;
}
