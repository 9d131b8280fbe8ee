import { Readable } from 'node:stream';

/** What the blob store knows about a stored object. */
export interface BlobInfo {
  size: number;
  metadata: Record<string, string>;
}

/**
 * Bytes by key: S3 in production, a local directory as the embedded default.
 *
 * `put` must never leave an object at `key` with partial bytes: when `body`
 * errors (for instance because the collector's digest check failed at the
 * end of the stream) the upload is aborted and nothing appears at the key.
 */
export interface BlobStore {
  put(
    key: string,
    body: Readable,
    options?: { size?: number; metadata?: Record<string, string> },
  ): Promise<void>;
  head(key: string): Promise<BlobInfo | undefined>;
  /**
   * A stream of the object's bytes, or undefined when it does not exist;
   * with `range`, only bytes `start` to `end` (inclusive, within the
   * object), and `size` is what the body holds.
   */
  get(
    key: string,
    options?: { range?: { start: number; end: number } },
  ): Promise<{ body: Readable; size: number } | undefined>;
  /** Deletes the object; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Cleans up after writers that crashed: their temporary files or
   * incomplete uploads. Called once at startup; never removes what a live
   * writer (of this or another process) is still writing.
   */
  recover?(): Promise<BlobRecovery>;
}

/** What {@link BlobStore.recover} cleaned up. */
export interface BlobRecovery {
  /** Temporary files or incomplete uploads removed. */
  removed: number;
  /** Why nothing could be checked, e.g. the server cannot list uploads. */
  skipped?: string;
}
