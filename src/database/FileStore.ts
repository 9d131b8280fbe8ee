import { ArtifactFile, ArtifactFileStatus, FileErrorKind } from '../types';
import { ArtifactFilter, ArtifactScope } from './artifactScope';

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
  /**
   * A collector claimed the file before (when it was read): bytes may be
   * stored under its key by an attempt that did not record them.
   */
  claimedBefore?: boolean;
}

/** Which failed or parked files {@link FileStore.resetFiles} moves back to pending. */
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

/** Which files {@link FileStore.listFilesToQueue} offers. */
export interface FilesToQueueQuery {
  /** Only files of these artifacts. */
  artifactRefs?: number[];
  /** A queued file counts as in flight for this long after it was queued. */
  staleAfterMs: number;
  /** Also failed files whose retry is as old. */
  includeFailed?: boolean;
}

/** Files of selected versions by processor and status. */
export interface FileStats {
  processor: string;
  status: ArtifactFileStatus;
  files: number;
  bytes: number;
}

/**
 * The collection state of files: queueing, the lease a worker holds while
 * it downloads one (claim, renew, release), the outcome (collected, failed,
 * parked), resets for a retry and the recovery of leases whose worker died.
 * Implementations hide knex; every method is safe to call from several
 * replicas at once.
 */
export interface FileStore {
  /**
   * Files of selected versions that are not collected and not in flight
   * (not queued within `staleAfterMs`, or whose lease expired), by ref.
   */
  listFilesToQueue(query: FilesToQueueQuery): Promise<StoredFile[]>;
  /** The refs (and queueing run) of the files {@link FileStore.listFilesToQueue} offers, by ref. */
  listFileRefsToQueue(query: FilesToQueueQuery): Promise<Array<{ ref: number; runId?: string }>>;
  /**
   * Marks files queued, by a run when `runId` is given (a sweep outside a
   * run keeps the run that queued them first); returns how many moved.
   */
  markQueued(fileRefs: number[], runId?: string): Promise<number>;
  getFile(fileRef: number): Promise<StoredFile | undefined>;
  /**
   * Takes, or renews for the worker that holds it, an exclusive lease on a
   * file; false if another worker holds it or the file is collected.
   */
  claimFile(fileRef: number, worker: string, leaseMs: number): Promise<boolean>;
  /**
   * As {@link FileStore.claimFile}, for a worker about to collect the file,
   * and reads it (one statement where the database allows): the file as
   * leased, or undefined when it is collected, parked or held by another
   * worker. `claimedBefore` tells whether a collector claimed it before.
   */
  claimFileToCollect(fileRef: number, worker: string, leaseMs: number): Promise<StoredFile | undefined>;
  /**
   * Gives up a worker's lease without recording an attempt, e.g. when its
   * download was interrupted by a shutdown; the file stays queued. With
   * `unclaim`, the file reads as never claimed again: for a worker that
   * made the first claim and gives it up before uploading anything.
   */
  releaseFile(fileRef: number, worker: string, options?: { unclaim?: boolean }): Promise<void>;
  /**
   * Records the file as collected, with the size and sha256 of its stored
   * bytes; resolves once that is committed. No run row is written: runs
   * count their collected files from the files.
   */
  markCollected(
    fileRef: number,
    result: { size: number; digest: string; storageKey: string },
  ): Promise<void>;
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
  /** Whether any file references the storage key. */
  isStorageKeyReferenced(storageKey: string): Promise<boolean>;
  /** Files of selected versions by processor and status, of the artifacts in `scope` (default all). */
  stats(scope?: ArtifactScope): Promise<FileStats[]>;
}
