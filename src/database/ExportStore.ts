import { JsonObject } from '@backstage/types';
import { ArtifactDependency, FileIntegrity } from '../types';
import { BundlePart, ExportKind, ExportRecord } from '../exports/types';
import { ArtifactScope } from './artifactScope';
import { Page } from './types';

/** What is stored when an export is requested. */
export interface NewExport {
  kind: ExportKind;
  sinceExportId?: string;
  /** Exclusive lower bound of `collected_at`; required for a delta. */
  sinceTime?: string;
  processors?: string[];
  requestedBy?: string;
}

/** How a finished export is recorded. */
export type ExportOutcome =
  | {
      status: 'succeeded';
      cutoff: string;
      manifestKey: string;
      seal: string;
      parts: BundlePart[];
      files: number;
      totalBytes: number;
    }
  | { status: 'failed'; error: string };

/** An export row with the blob key of its manifest. */
export interface StoredExport extends ExportRecord {
  manifestKey?: string;
}

/**
 * Which collected files an export covers: `collected_at` in
 * `(after, until]`, of the given processors (all when absent).
 */
export interface ExportWindow {
  after?: string;
  until: string;
  processors?: string[];
}

/** A collected file as an export reads it. */
export interface CollectedFile {
  ref: number;
  storageKey: string;
  name: string;
  processor: string;
  artifactRef: number;
  artifactId: string;
  version: string;
  /** Size recorded at collection. */
  size?: number;
  collectedAt: string;
  /** sha256 of the stored bytes, recorded at collection. */
  sha256?: string;
  /** The upstream's digest. */
  integrity?: FileIntegrity;
  /** Whether the bytes were checked against a digest the upstream declared. */
  verified: boolean;
}

/** An artifact with every file collected up to a cut-off, version by version. */
export interface CollectedArtifact {
  ref: number;
  processor: string;
  id: string;
  /** Named versions as the upstream last published them, e.g. npm dist-tags. */
  tags?: Record<string, string>;
  /**
   * The config it was last discovered under, which for a dependency is its
   * parents' (a Helm chart's repository names its folder in bundles).
   */
  config?: JsonObject;
  versions: Array<{
    version: string;
    publishedAt?: string;
    /** The upstream's record of the version, verbatim, where the processor keeps one. */
    metadata?: string;
    dependencies: ArtifactDependency[];
    /** Only collected files; versions without one are left out. */
    files: CollectedFile[];
  }>;
}

/**
 * Export bundles: a leased background job (see `operations/leasedJobs.ts`)
 * that one replica claims and heartbeats while it builds, and the reads
 * over collected files a build needs (`operations/exportContents.ts`).
 * Implementations hide knex; every method is safe to call from several
 * replicas at once.
 */
export interface ExportStore {
  createExport(request: NewExport): Promise<StoredExport>;
  /**
   * Stores an export unless one with the same `requestKey` is queued or
   * running, which is then returned instead (`created: false`). Atomic in
   * the database, so concurrent identical requests on any replicas share
   * one export.
   */
  createOrJoinExport(
    request: NewExport & { requestKey: string },
  ): Promise<{ record: StoredExport; created: boolean }>;
  /**
   * An export; with `visible`, only if the caller may read every artifact it
   * carries (see {@link ExportStore.listExports}).
   */
  getExport(id: string, visible?: ArtifactScope): Promise<StoredExport | undefined>;
  /**
   * Newest first. With `visible`: all exports for `all`, none for `none`;
   * for a conditional scope only exports that succeeded (so that what they
   * carry is known) and whose every carried artifact is in the scope.
   */
  listExports(query: {
    limit: number;
    offset: number;
    visible?: ArtifactScope;
  }): Promise<Page<ExportRecord>>;
  /** Records artifacts an export carries; repeats are ignored. */
  addExportArtifacts(id: string, artifacts: Array<{ processor: string; id: string }>): Promise<void>;
  /**
   * Deletes a finished (succeeded or failed) export's rows; false when it is
   * missing or queued or running.
   */
  deleteExport(id: string): Promise<boolean>;
  /** Atomically moves a queued export to running for one replica; false if another has it. */
  claimExport(id: string, worker: string): Promise<boolean>;
  /** Marks a queued or running export as alive on its replica. */
  heartbeatExport(id: string): Promise<void>;
  /** Records the outcome of an export that is not finished; a finished one stays as it is. */
  finishExport(id: string, outcome: ExportOutcome): Promise<void>;
  /**
   * Fails exports whose replica stopped: running or queued ones without a
   * heartbeat (queued ones without any: since their creation) within
   * `staleAfterMs`, each on exactly one caller. Returns their ids.
   */
  failAbandonedExports(staleAfterMs: number): Promise<string[]>;

  /**
   * One page of the files collected in the window, ordered by ref (which
   * never changes, unlike a storage key the key migration moves). Pass the
   * last file of a page to get the next.
   */
  listCollectedFiles(
    window: ExportWindow,
    page: { after?: { ref: number }; limit: number },
  ): Promise<CollectedFile[]>;
  /** The current storage key of a collected file, e.g. after the key migration moved it. */
  getCollectedStorageKey(fileRef: number): Promise<string | undefined>;
  /** One page of the artifacts with a file collected in the window, by ref. */
  listTouchedArtifacts(
    window: ExportWindow,
    page: { afterRef?: number; limit: number },
  ): Promise<Array<{ ref: number; processor: string; id: string }>>;
  /** An artifact (by ref, or by processor and id) with its files collected up to `until`. */
  getCollectedArtifact(
    ref: number | { processor: string; id: string },
    until: string,
  ): Promise<CollectedArtifact | undefined>;
  /** One page of the ids of a processor's artifacts with a file collected up to `until`, by id. */
  listCollectedArtifactIds(
    processor: string,
    until: string,
    page: { afterId?: string; limit: number },
  ): Promise<string[]>;
}
