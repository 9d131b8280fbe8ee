import { JsonObject } from '@backstage/types';
import { Artifact, ArtifactStatus, DependencyPolicy, FilterType } from '../types';
import { DiscoveryValidators } from '../processors/types';
import { ArtifactFilter } from './artifactScope';
import { Page } from './types';

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

/** What an artifact holds: its versions, and the files of its selected versions. */
export interface ArtifactCounts {
  versions: number;
  selectedVersions: number;
  files: number;
  collected: number;
  failed: number;
  bytes: number;
}

/** An artifact as a caller or the runner adds it: what it is asked to be, before any run. */
export type NewArtifact = Pick<
  Artifact,
  'processor' | 'id' | 'filter' | 'filterType' | 'config' | 'root' | 'dependencyPolicy' | 'createdBy' | 'admission'
>;

/** Changes to an artifact; `null` clears a field. */
export interface ArtifactPatch {
  filter?: string | null;
  filterType?: FilterType | null;
  config?: JsonObject;
  dependencyPolicy?: DependencyPolicy;
  root?: boolean;
  admission?: Artifact['admission'] | null;
}

/** A query over artifacts, one page at a time. */
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

/** The outcome of one discovery of an artifact. */
export interface DiscoveryOutcome {
  runId: string;
  status: ArtifactStatus;
  error?: string;
  validators?: StoredValidators;
  tags?: Record<string, string>;
  /**
   * Replaces the stored warnings (an empty list clears them); absent, they
   * stay as they were (a 304 changes nothing).
   */
  warnings?: string[];
}

/**
 * The artifacts Backpack mirrors, roots and dependencies alike, keyed by
 * `(processor, id)`. An artifact owns its versions, files and dependencies:
 * deleting it deletes them. Implementations hide knex; every method is safe
 * to call from several replicas at once.
 */
export interface ArtifactStore {
  /** Adds an artifact; a ConflictError when (processor, id) exists. */
  createArtifact(artifact: NewArtifact): Promise<StoredArtifact>;
  /** Adds a dependency artifact if (processor, id) is unknown; returns the stored row either way. */
  ensureArtifact(artifact: NewArtifact): Promise<StoredArtifact>;
  /**
   * {@link ArtifactStore.ensureArtifact} for many artifacts in a few
   * statements; the stored rows in the order asked.
   */
  ensureArtifacts(artifacts: NewArtifact[]): Promise<StoredArtifact[]>;
  getArtifact(processor: string, id: string): Promise<StoredArtifact | undefined>;
  /** A page as the API shows it (without the internal key and bookkeeping). */
  listArtifacts(query: ListArtifactsQuery): Promise<Page<Artifact>>;
  /** Root artifacts, or every artifact when `rootsOnly` is false; by processor and id. */
  listAllArtifacts(options?: { rootsOnly?: boolean }): Promise<StoredArtifact[]>;
  /** Applies a patch; a NotFoundError when the artifact is gone. */
  updateArtifact(ref: number, patch: ArtifactPatch): Promise<StoredArtifact>;
  /**
   * Records the outcome of a discovery; writes only when something changed,
   * so that a run that finds nothing new writes no rows at all.
   */
  recordDiscovery(ref: number, outcome: DiscoveryOutcome): Promise<void>;
  /**
   * Deletes an artifact with its versions, files and dependencies. Returns
   * the storage keys that no remaining file references, for purging.
   */
  deleteArtifact(ref: number): Promise<{ orphanedStorageKeys: string[] }>;
  countArtifact(ref: number): Promise<ArtifactCounts>;
}
