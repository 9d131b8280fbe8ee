import { LoggerService } from '@backstage/backend-plugin-api';
import { BackpackStores } from '../database/createBackpackStores';
import { BackpackEvents } from '../events/BackpackEvents';
import { StoredFile } from '../database/FileStore';
import { errorMessage } from '../lib/errorMessage';
import { BlobStore } from '../storage/BlobStore';
import { admissionRefusal, UnverifiedFilesPolicy } from './fileAdmission';
import { classifyFailure } from './failureKind';
import { HostSlots, SlotRelease } from './HostSlots';
import { FileFetcher, storeFileBytes } from './fileTransfer';
import { CollectJob, JobOutcome, JobQueue } from './queue/JobQueue';

/** Options of {@link Collector}. */
export interface CollectorOptions {
  stores: Pick<BackpackStores, 'files'>;
  blobStore: BlobStore;
  queue: JobQueue;
  fetcher: FileFetcher;
  logger: LoggerService;
  /** Identifies this replica in file leases. */
  workerId: string;
  /** Attempts before a file is parked. */
  maxAttempts: number;
  /** Whether a failure may succeed when tried again (network, 5xx, 429, 408). */
  isRetryable: (error: unknown) => boolean;
  /**
   * How long one worker holds a file without renewing; renewed every third
   * of it while the file streams, so a crashed worker's files are free
   * again soon. Default 30000.
   */
  leaseMs?: number;
  /** Files without a declared digest: parked (`reject`, the default) or collected unverified. */
  unverifiedFiles?: UnverifiedFilesPolicy;
  /**
   * Downloads from one host at once in this process; jobs for a saturated
   * host are deferred (no attempt counted) so other hosts' files go ahead.
   * Default unlimited.
   */
  maxConcurrencyPerHost?: number;
  /** Upper bound of an upstream's Retry-After that a retry honours. Default 1 hour. */
  maxRetryAfterMs?: number;
  /** Called when a file of a run was collected or parked, e.g. to settle the run soon. */
  onSettled?: (runId: string) => void;
  /** Told of every file collected, failed or parked. */
  events?: BackpackEvents;
}

const DEFAULT_LEASE_MS = 30_000;
/**
 * How long a job may wait for a slot of a saturated but quick host (see
 * {@link HostSlots}); a job that gets none is deferred for as long, so that
 * other hosts' jobs behind it go ahead.
 */
const HOST_WAIT_MS = 1000;
/** Delay of a job that arrives while this process stops. */
const STOPPING_DEFER_MS = 1000;

/** Why a download was aborted from outside. */
type AbortReason = 'stopping' | 'deleted' | 'lease-lost';

/**
 * Collects files: streams each from its upstream through a digest check into
 * the blob store and records the outcome. Handles jobs idempotently: a job
 * for a collected file does nothing; one for a file another worker holds
 * waits until that lease is renewed no more.
 */
export class Collector {
  private readonly leaseMs: number;
  private readonly hostSlots: HostSlots;
  private readonly maxRetryAfterMs: number;
  private stopping = false;
  /** Outcomes of the files this process is collecting, by file ref. */
  private readonly inFlight = new Map<number, Promise<JobOutcome>>();
  /** Downloads in flight, to abort them by file or artifact. */
  private readonly downloads = new Map<
    number,
    { artifactRef: number; abort: (reason: AbortReason) => void }
  >();

  /** URIs of jobs deferred for their host, to defer them again without a read. */
  private readonly deferredUris = new Map<number, string>();

  constructor(private readonly options: CollectorOptions) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.hostSlots = new HostSlots(Math.max(1, options.maxConcurrencyPerHost ?? Infinity));
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60 * 60_000;
  }

  /** Starts consuming collect jobs. */
  async start(): Promise<void> {
    await this.options.queue.consume(job => this.handle(job));
  }

  /**
   * Aborts the downloads in flight, e.g. at shutdown, so that stopping the
   * queue does not wait for slow or stalled upstreams. Their files are
   * released without counting an attempt; a later delivery or sweep
   * collects them.
   */
  stop(): void {
    this.stopping = true;
    for (const download of this.downloads.values()) download.abort('stopping');
  }

  /**
   * Aborts this process's downloads of an artifact's files, e.g. once it
   * was deleted. Other replicas abort theirs when renewing the lease finds
   * the file gone.
   */
  abortArtifact(artifactRef: number): number {
    let aborted = 0;
    for (const download of this.downloads.values()) {
      if (download.artifactRef === artifactRef) {
        download.abort('deleted');
        aborted += 1;
      }
    }
    return aborted;
  }

  /**
   * Queues the files of selected versions that are neither collected nor in
   * flight. Files are marked queued before they are published, so a crash
   * in between leaves them stale and the next sweep queues them again.
   *
   * With `recoverParkedOf`, the files of those artifacts that were parked
   * after transient failures are queued again too, their attempts reset:
   * the caller saw their upstream answer again.
   */
  async enqueuePending(options: {
    runId?: string;
    artifactRefs?: number[];
    staleAfterMs: number;
    includeFailed?: boolean;
    recoverParkedOf?: number[];
  }): Promise<number> {
    const { queue } = this.options;
    const store = this.options.stores.files;
    if (options.recoverParkedOf?.length) {
      await store.resetFiles({
        statuses: ['parked'],
        errorKind: 'transient',
        artifactRefs: options.recoverParkedOf,
      });
    }
    const files = await store.listFileRefsToQueue(options);
    if (files.length === 0) return 0;
    const moved = await store.markQueued(
      files.map(f => f.ref),
      options.runId,
    );
    await queue.enqueue(
      files.map(file => ({
        fileRef: file.ref,
        // One key per file row: two rows may share a storage key, and
        // each must get its own job.
        key: `file-${file.ref}`,
        runId: options.runId ?? file.runId,
        attempt: 1,
      })),
    );
    return moved;
  }

  /**
   * Queues again what is neither collected nor in flight, outside any run:
   * at startup, and after jobs may have been lost. Files parked after
   * transient failures at least `parkedRetryAfterMs` ago are queued again
   * with their attempts reset, so an outage never parks a file for good.
   */
  async sweep(options: {
    requeueAfterMs: number;
    parkedRetryAfterMs?: number;
  }): Promise<number> {
    if (options.parkedRetryAfterMs !== undefined) {
      await this.options.stores.files.resetFiles({
        statuses: ['parked'],
        errorKind: 'transient',
        settledBeforeMs: options.parkedRetryAfterMs,
      });
    }
    return this.enqueuePending({
      staleAfterMs: options.requeueAfterMs,
      includeFailed: true,
    });
  }

  /** Handles one collect job; resolves only after the outcome is in the database. */
  handle(job: CollectJob): Promise<JobOutcome> {
    // A second job for a file this process is collecting right now — e.g.
    // the broker redelivering it after a reconnect while the first handler
    // still downloads — shares that outcome. Claiming it again would pass
    // (the lease is this worker's) and download and upload it twice.
    const running = this.inFlight.get(job.fileRef);
    if (running) return running;
    const outcome = this.handleOnce(job).finally(() =>
      this.inFlight.delete(job.fileRef),
    );
    this.inFlight.set(job.fileRef, outcome);
    return outcome;
  }

  private async handleOnce(job: CollectJob): Promise<JobOutcome> {
    // Stopping: leave the job to another replica or to the next start.
    if (this.stopping) return { defer: { delayMs: STOPPING_DEFER_MS } };
    // One slow host must not hold every worker: its other files step aside
    // (deferred, no attempt counted) while other hosts' files go ahead. A
    // job deferred before knows its host without touching the file again.
    const knownUri = this.deferredUris.get(job.fileRef);
    let release: SlotRelease | undefined;
    if (knownUri !== undefined) {
      release = await this.hostSlots.acquire(knownUri, HOST_WAIT_MS);
      if (!release) return { defer: { delayMs: HOST_WAIT_MS } };
      this.deferredUris.delete(job.fileRef);
    }
    // Leased and read in one statement: the common case, a file nobody
    // holds, costs no read before the claim.
    const { workerId } = this.options;
    const store = this.options.stores.files;
    const file = await store.claimFileToCollect(job.fileRef, workerId, this.leaseMs);
    if (!file) {
      release?.();
      return this.notClaimed(job.fileRef);
    }
    const refusal = admissionRefusal(file, this.options.unverifiedFiles ?? 'reject');
    if (refusal) {
      release?.();
      // Parking ends the lease too.
      await store.markFailed(file.ref, { error: refusal, parked: true, errorKind: 'permanent' });
      this.options.events?.fileSettled({ ...file, error: refusal, errorKind: 'permanent' }, 'parked');
      if (file.runId) this.options.onSettled?.(file.runId);
      return 'park';
    }
    if (release && knownUri !== file.uri) {
      release();
      release = undefined;
    }
    release ??= await this.hostSlots.acquire(file.uri, HOST_WAIT_MS);
    if (!release || this.stopping) {
      release?.();
      // Nothing was uploaded under this claim: a first claim is undone, so
      // that the next attempt need not ask the blob store what the key holds.
      await store.releaseFile(file.ref, workerId, { unclaim: !file.claimedBefore });
      if (this.stopping) return { defer: { delayMs: STOPPING_DEFER_MS } };
      this.deferredUris.set(file.ref, file.uri);
      return { defer: { delayMs: HOST_WAIT_MS } };
    }
    const started = Date.now();
    let outcome: JobOutcome | undefined;
    try {
      outcome = await this.collectLeased(file);
      return outcome;
    } finally {
      // How long downloads from the host take tells whether to wait for it.
      const downloaded = outcome !== undefined && !(typeof outcome === 'object' && 'defer' in outcome);
      release(downloaded ? Date.now() - started : undefined);
    }
  }

  /**
   * A file the claim did not take: collected or parked (nothing to do), gone,
   * or held by another worker. Dropping the job would lose it if that worker
   * is dead (the broker redelivers a dead consumer's jobs at once, long
   * before its lease runs out): come back once the lease would have run
   * out, without counting an attempt.
   */
  private async notClaimed(fileRef: number): Promise<JobOutcome> {
    const current = await this.options.stores.files.getFile(fileRef);
    if (!current || current.collected || current.status === 'parked') return 'done';
    const until = current.lockedUntil ? Date.parse(current.lockedUntil) : 0;
    return { defer: { delayMs: Math.max(STOPPING_DEFER_MS, until - Date.now() + 250) } };
  }

  /** Collects a file this worker leased, renewing the lease while it streams. */
  private async collectLeased(file: StoredFile): Promise<JobOutcome> {
    const { workerId, logger } = this.options;
    const store = this.options.stores.files;
    const controller = new AbortController();
    let reason: AbortReason | undefined;
    this.downloads.set(file.ref, {
      artifactRef: file.artifactRef,
      abort: why => {
        reason ??= why;
        controller.abort(new Error(`Collection of ${file.uri} aborted: ${why}`));
      },
    });
    // Renew the lease while streaming, however long a large file takes.
    // When the row is gone (the artifact was deleted) or another worker
    // took the file over, stop downloading it.
    const renew = setInterval(() => {
      store
        .claimFile(file.ref, workerId, this.leaseMs)
        .then(held => {
          if (!held) this.downloads.get(file.ref)?.abort('lease-lost');
        })
        .catch(error => logger.warn(`Renewing the lease of ${file.uri} failed: ${error}`));
    }, Math.max(1000, this.leaseMs / 3));
    try {
      await storeFileBytes(this.options, file, controller.signal);
      this.options.events?.fileSettled(file, 'collected');
      if (file.runId) this.options.onSettled?.(file.runId);
      return 'done';
    } catch (error) {
      // No renewal may land after the outcome below releases the lease.
      clearInterval(renew);
      if (reason === 'stopping' || (this.stopping && controller.signal.aborted)) {
        // Interrupted by stop(), not the file's fault.
        await store.releaseFile(file.ref, workerId);
        return { defer: { delayMs: STOPPING_DEFER_MS } };
      }
      if (reason) {
        // Deleted, or collected by the worker that holds it now.
        logger.info(`Stopped collecting ${file.uri}: ${reason}`);
        return 'done';
      }
      return this.recordFailure(file, error);
    } finally {
      clearInterval(renew);
      this.downloads.delete(file.ref);
    }
  }

  private async recordFailure(file: StoredFile, error: unknown): Promise<JobOutcome> {
    const { logger } = this.options;
    const store = this.options.stores.files;
    const attempts = file.attempts + 1;
    const verdict = classifyFailure(error, this.options.isRetryable);
    const parked = !verdict.retry || attempts >= this.options.maxAttempts;
    const message = errorMessage(error);
    logger.warn(
      `Collecting ${file.uri} failed (attempt ${attempts}, ${verdict.kind}${parked ? ', parked' : ''}): ${message}`,
    );
    await store.markFailed(file.ref, { error: message, parked, errorKind: verdict.kind });
    this.options.events?.fileSettled(
      { ...file, attempts, error: message, errorKind: verdict.kind },
      parked ? 'parked' : 'failed',
    );
    if (parked) {
      if (file.runId) this.options.onSettled?.(file.runId);
      return 'park';
    }
    if (verdict.retryAfterMs !== undefined) {
      return { retry: { minDelayMs: Math.min(verdict.retryAfterMs, this.maxRetryAfterMs) } };
    }
    return 'retry';
  }
}
