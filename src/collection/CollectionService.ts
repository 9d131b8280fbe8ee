import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { ArtifactFilter, ArtifactScope } from '../database/artifactScope';
import { BackpackStores } from '../database/createBackpackStores';
import { JobQueue, QueueDepth } from './queue/JobQueue';
import { BlobStore } from '../storage/BlobStore';
import { ShortLivedCache } from '../lib/ShortLivedCache';
import { ArtifactFileStatus, FileErrorKind } from '../types';

/** Queues files for collection; the part of the collector this service needs. */
export interface CollectionEnqueuer {
  enqueuePending(options: {
    artifactRefs?: number[];
    staleAfterMs: number;
  }): Promise<number>;
}

/** Which failed and parked files `POST /retry` queues again. */
export interface RetryScope {
  processor?: string;
  /** The artifact's canonical id; needs `processor`. */
  id?: string;
  /** Only files whose last error was of this kind. */
  errorKind?: FileErrorKind;
  /** From a conditional permission decision: only the artifacts it allows. */
  filter?: ArtifactFilter;
}

/** Files and bytes of one processor in one collection status. */
export interface CollectionStatsEntry {
  processor: string;
  status: ArtifactFileStatus;
  files: number;
  bytes: number;
}

/** What `GET /stats` reports. */
export interface CollectionStats {
  /** Files of selected versions, by processor and status. */
  byProcessor: CollectionStatsEntry[];
  /**
   * The job queue as its driver sees it; null while it cannot be reached.
   * Absent unless the caller may read every artifact, since the queue
   * counts the jobs of all of them.
   */
  queue?: QueueDepth | null;
}

/** Options of {@link CollectionService}. */
export interface CollectionServiceOptions {
  stores: Pick<BackpackStores, 'artifacts' | 'files'>;
  collector: CollectionEnqueuer;
  queue: JobQueue;
  blobStore: BlobStore;
  logger: LoggerService;
  /** As for mirror runs: queued files younger than this count as in flight. */
  requeueAfterMs: number;
  /** How long a stats answer is reused (`backpack.collection.statsCacheMs`); default 5000, 0 for never. */
  statsCacheMs?: number;
}

/**
 * Operator actions on collection: retrying failed files, reporting counts
 * and queue depth, and removing stored objects nothing references any more.
 * Knows nothing of HTTP.
 */
export class CollectionService {
  private readonly statsCache: ShortLivedCache<CollectionStats>;

  constructor(private readonly options: CollectionServiceOptions) {
    this.statsCache = new ShortLivedCache(options.statsCacheMs ?? 5000);
  }

  /**
   * Puts the artifact's failed and parked files back to pending with their
   * attempts reset, and queues them.
   *
   * @param processor - the processor of a stored artifact
   * @param id - the artifact's canonical id (as the artifact service returns it)
   * @returns how many files were queued
   */
  async retry(processor: string, id: string): Promise<number> {
    const { stores, collector, requeueAfterMs } = this.options;
    const artifact = await stores.artifacts.getArtifact(processor, id);
    if (!artifact) {
      throw new NotFoundError(`Artifact ${processor}:${id} not found`);
    }
    const { moved } = await stores.files.resetFiles({
      statuses: ['failed', 'parked'],
      artifactRefs: [artifact.ref],
    });
    if (moved === 0) return 0;
    // Queues the reset files along with any other pending file of the
    // artifact, which is just as much due.
    return collector.enqueuePending({
      artifactRefs: [artifact.ref],
      staleAfterMs: requeueAfterMs,
    });
  }

  /**
   * Puts every failed and parked file in the scope back to pending with its
   * attempts reset, and queues it: recovery after an outage in one call.
   *
   * @returns how many files were queued again
   */
  async retryAll(scope: RetryScope): Promise<number> {
    const { stores, collector, requeueAfterMs } = this.options;
    const { moved, artifactRefs } = await stores.files.resetFiles({
      statuses: ['failed', 'parked'],
      ...scope,
    });
    if (moved === 0) return 0;
    await collector.enqueuePending({ artifactRefs, staleAfterMs: requeueAfterMs });
    return moved;
  }

  /**
   * Counts and bytes by processor and status over the artifacts in `scope`
   * (all by default), and the queue's depth when the scope is all.
   */
  stats(scope: ArtifactScope = { type: 'all' }): Promise<CollectionStats> {
    // An aggregate over every file: a burst of requests shares one, for a few seconds.
    return this.statsCache.get(JSON.stringify(scope), () => this.computeStats(scope));
  }

  private async computeStats(scope: ArtifactScope): Promise<CollectionStats> {
    const { stores, queue, logger } = this.options;
    if (scope.type !== 'all') return { byProcessor: await stores.files.stats(scope) };
    const [byProcessor, depth] = await Promise.all([
      stores.files.stats(),
      queue.depth().catch(error => {
        // The counts in the database are worth reporting without the queue.
        logger.warn(`Could not read the job queue's depth: ${error}`);
        return null;
      }),
    ]);
    return { byProcessor, queue: depth };
  }

  /**
   * Deletes stored objects whose files were deleted. Each key is checked
   * again right before its delete, so an object that a file added in the
   * meantime references is kept.
   *
   * @returns how many objects were deleted
   */
  async purgeObjects(storageKeys: string[]): Promise<number> {
    const { stores, blobStore } = this.options;
    let deleted = 0;
    for (const key of storageKeys) {
      if (await stores.files.isStorageKeyReferenced(key)) continue;
      await blobStore.delete(key);
      deleted += 1;
    }
    return deleted;
  }
}
