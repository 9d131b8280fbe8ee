/**
 * The transfer of one file's bytes: from its upstream through the digest
 * check into the blob store, then recorded as collected. Apart from the
 * collector, which decides when a file may be transferred (leases, host
 * slots, retries), so that what counts as a stored file reads in one place.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackpackStores } from '../database/createBackpackStores';
import { StoredFile } from '../database/FileStore';
import { BlobStore } from '../storage/BlobStore';
import { isContentAddressedKey } from '../storage/fileStorageKey';
import { IntegrityError, IntegrityStream } from './IntegrityStream';

/** Streams a file from its URI; the collector's only way to the network. */
export interface FileFetcher {
  fetch(
    uri: string,
    options?: {
      signal?: AbortSignal;
      /** The file has no declared digest: only Backpack's own reader may read it. */
      gatedOnly?: boolean;
    },
  ): Promise<{ body: Readable; size?: number }>;
}

/** What {@link storeFileBytes} reads from and writes to. */
export interface FileTransferOptions {
  stores: Pick<BackpackStores, 'files'>;
  blobStore: BlobStore;
  fetcher: FileFetcher;
}

/**
 * Stores a file's bytes and records them. Bytes already stored under the
 * file's key (a replica crashed between upload and record) are re-read and
 * proven instead of downloaded again. Rejects, storing nothing, when the
 * bytes do not match the declared digest or size.
 */
export async function storeFileBytes(
  options: FileTransferOptions,
  file: StoredFile,
  signal: AbortSignal,
): Promise<void> {
  const { blobStore, fetcher } = options;
  const store = options.stores.files;

  // The bytes may already be stored, e.g. when a replica crashed after the
  // upload and before recording it; then only the record is missing.
  // Re-reading them proves them and yields the sha256 we record. A file no
  // collector claimed before has no such bytes, unless its key is content
  // addressed (another file with the same digest may have stored them).
  const existing =
    file.claimedBefore || isContentAddressedKey(file.storageKey)
      ? await blobStore.head(file.storageKey)
      : undefined;
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

  const { body, size } = await fetcher.fetch(file.uri, { signal, gatedOnly: !file.verified });
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
