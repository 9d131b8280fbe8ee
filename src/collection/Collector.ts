import { LoggerService } from '@backstage/backend-plugin-api';
import { setMaxListeners } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackpackStore, StoredFile } from '../database/BackpackStore';
import { BlobStore } from '../storage/BlobStore';
import { admissionRefusal, UnverifiedFilesPolicy } from './fileAdmission';
import { IntegrityError, IntegrityStream } from './IntegrityStream';
import { CollectJob, JobOutcome, JobQueue } from './queue/JobQueue';

/** Streams a file from its URI; the collector's only way to the network. */
export interface FileFetcher {
  fetch(
    uri: string,
    options?: { signal?: AbortSignal },
  ): Promise<{ body: Readable; size?: number }>;
}

/** Options of {@link Collector}. */
export interface CollectorOptions {
  store: BackpackStore;
  blobStore: BlobStore;
  queue: JobQueue;
  fetcher: FileFetcher;
  logger: LoggerService;
  /** Identifies this replica in file leases. */
  workerId: string;
  /** Attempts before a file is parked. */
  maxAttempts: number;
  /** Whether a failure may succeed when tried again (network, 5xx, 429, digest). */
  isRetryable: (error: unknown) => boolean;
  /**
   * How long one worker holds a file without renewing; renewed while the
   * file streams, so a crashed worker's files are free again soon.
   */
  leaseMs?: number;
  /** Files without a declared digest: parked (`reject`, the default) or collected unverified. */
  unverifiedFiles?: UnverifiedFilesPolicy;
}

const DEFAULT_LEASE_MS = 2 * 60_000;

/**
 * Collects files: streams each from its upstream through a digest check into
 * the blob store and records the outcome. Handles jobs idempotently: a job
 * for a collected file, or for a file another worker holds, does nothing.
 */
export class Collector {
  private readonly leaseMs: number;
  private readonly abort = new AbortController();
  /** Outcomes of the files this process is collecting, by file ref. */
  private readonly inFlight = new Map<number, Promise<JobOutcome>>();

  constructor(private readonly options: CollectorOptions) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    // Every download in flight listens on the one signal.
    setMaxListeners(0, this.abort.signal);
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
    this.abort.abort();
  }

  /**
   * Queues the files of selected versions that are neither collected nor in
   * flight. Files are marked queued before they are published, so a crash
   * in between leaves them stale and the next sweep queues them again.
   */
  async enqueuePending(options: {
    runId?: string;
    artifactRefs?: number[];
    staleAfterMs: number;
    includeFailed?: boolean;
  }): Promise<number> {
    const { store, queue } = this.options;
    const files = await store.listFilesToQueue(options);
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
   * at startup, and after jobs may have been lost.
   */
  sweep(options: { requeueAfterMs: number }): Promise<number> {
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
    const { store, workerId, logger } = this.options;
    const file = await store.getFile(job.fileRef);
    if (!file || file.collected) return 'done';
    if (file.status === 'parked') return 'done';
    const refusal = admissionRefusal(file, this.options.unverifiedFiles ?? 'reject');
    if (refusal) {
      await store.markFailed(file.ref, { error: refusal, parked: true });
      return 'park';
    }
    // Stopping: leave the job to another replica or to the next start.
    if (this.abort.signal.aborted) return 'retry';
    if (!(await store.claimFile(file.ref, workerId, this.leaseMs))) {
      // Another worker holds the file; its outcome will be recorded there,
      // or its lease expires and a sweep queues the file again.
      return 'done';
    }
    // Renew the lease while streaming, however long a large file takes.
    const renew = setInterval(() => {
      store
        .claimFile(file.ref, workerId, this.leaseMs)
        .catch(error => logger.warn(`Renewing the lease of ${file.uri} failed: ${error}`));
    }, Math.max(1000, this.leaseMs / 3));
    try {
      await this.collect(file);
      return 'done';
    } catch (error) {
      // No renewal may land after the outcome below releases the lease.
      clearInterval(renew);
      if (this.abort.signal.aborted) {
        // Interrupted by stop(), not the file's fault.
        await store.releaseFile(file.ref, workerId);
        return 'retry';
      }
      const attempts = file.attempts + 1;
      const retryable = this.options.isRetryable(error) || error instanceof IntegrityError;
      const parked = !retryable || attempts >= this.options.maxAttempts;
      const message = (error as Error)?.message ?? String(error);
      logger.warn(
        `Collecting ${file.uri} failed (attempt ${attempts}${parked ? ', parked' : ''}): ${message}`,
      );
      await store.markFailed(file.ref, { error: message, parked });
      return parked ? 'park' : 'retry';
    } finally {
      clearInterval(renew);
    }
  }

  private async collect(file: StoredFile): Promise<void> {
    const { store, blobStore, fetcher } = this.options;

    // The bytes may already be stored, e.g. when a replica crashed after the
    // upload and before recording it; then only the record is missing.
    // Re-reading them proves them and yields the sha256 we record.
    const existing = await blobStore.head(file.storageKey);
    if (
      existing &&
      file.integrity &&
      existing.metadata.integrity === `${file.integrity.algorithm}-${file.integrity.digest}`
    ) {
      const stored = await blobStore.get(file.storageKey);
      if (stored) {
        const check = new IntegrityStream({ integrity: file.integrity, size: existing.size });
        try {
          await pipeline(stored.body, check, new Writable({ write: (_c, _e, cb) => cb() }));
          await store.markCollected(file.ref, {
            size: check.result!.size,
            digest: check.result!.sha256,
            storageKey: file.storageKey,
          });
          return;
        } catch (error) {
          if (!(error instanceof IntegrityError)) throw error;
          // Not the expected bytes after all: download and replace them.
        }
      }
    }

    const { body, size } = await fetcher.fetch(file.uri, {
      signal: this.abort.signal,
    });
    const verify = new IntegrityStream({
      integrity: file.integrity,
      size: file.size ?? size,
    });
    // The blob store consumes `verify`; when the digest check fails at the
    // end of the stream the upload is aborted and nothing is stored.
    const upload = blobStore.put(file.storageKey, verify, {
      size: file.size ?? size,
      metadata: {
        ...(file.integrity
          ? { integrity: `${file.integrity.algorithm}-${file.integrity.digest}` }
          : {}),
        source: file.uri,
      },
    });
    const outcomes = await Promise.allSettled([
      pipeline(body, verify),
      upload.catch(error => {
        // A failed upload stops reading; end the download with it.
        body.destroy();
        verify.destroy();
        throw error;
      }),
    ]);
    const failure = outcomes.find(o => o.status === 'rejected');
    if (failure) {
      // Prefer the integrity error over the upload's echo of it.
      const reasons = outcomes
        .filter((o): o is PromiseRejectedResult => o.status === 'rejected')
        .map(o => o.reason);
      throw reasons.find(r => r instanceof IntegrityError) ?? reasons[0];
    }
    const result = verify.result!;
    await store.markCollected(file.ref, {
      size: result.size,
      digest: result.sha256,
      storageKey: file.storageKey,
    });
  }
}
