import { NotFoundError } from '@backstage/errors';
import { Readable } from 'node:stream';
import { MirroredFile } from '../database/MirrorReadStore';
import { BlobStore } from '../storage/BlobStore';
import { isContentAddressedKey, isFileStorageKey } from '../storage/fileStorageKey';

/** A generated document of a registry view (a packument, an index page, metadata). */
export interface ServedDocument {
  contentType: string;
  body: string;
}

/** A stored file a registry view serves, opened only when the body is sent. */
export interface ServedFile {
  contentType: string;
  /**
   * Whether the bytes were checked against a digest the upstream declared
   * (sent as the `x-backpack-verified` header).
   */
  verified: boolean;
  /** Size in bytes; asks the blob store when the database does not know it. */
  size(): Promise<number>;
  /** The bytes. */
  open(): Promise<{ body: Readable; size: number }>;
}

/** A generated document or a stored file. */
export type ServedContent =
  | ({ kind: 'document' } & ServedDocument)
  | ({ kind: 'file' } & ServedFile);

/**
 * Serves a collected file's bytes from the blob store.
 *
 * A key of an earlier release's layout (`<processor>/<path>`) may be shared
 * with another file until the storage key migration has moved it; its
 * object is served only if it carries this file's digest, so such a key
 * never serves another file's bytes.
 */
export function servedBlob(
  blobStore: BlobStore,
  file: MirroredFile,
  contentType: string,
): ServedFile {
  // The database says collected but the object is gone (deleted by hand,
  // a bucket restored from an older backup): a 404, not a 500.
  const missing = () =>
    new NotFoundError(`${file.name} is recorded as collected but missing from storage`);
  let checked: Promise<void> | undefined;
  const checkLegacyKey = () => {
    if (isFileStorageKey(file.storageKey) || isContentAddressedKey(file.storageKey) || !file.integrity) {
      return Promise.resolve();
    }
    const expected = `${file.integrity.algorithm}-${file.integrity.digest}`.toLowerCase();
    checked ??= blobStore.head(file.storageKey).then(info => {
      if (!info) throw missing();
      if (info.metadata.integrity?.toLowerCase() !== expected) {
        throw new NotFoundError(
          `${file.name} is not available until its stored bytes are verified again`,
        );
      }
    });
    return checked;
  };
  return {
    contentType,
    verified: file.verified,
    async size() {
      await checkLegacyKey();
      if (file.size !== undefined) return file.size;
      const info = await blobStore.head(file.storageKey);
      if (!info) throw missing();
      return info.size;
    },
    async open() {
      await checkLegacyKey();
      const blob = await blobStore.get(file.storageKey);
      if (!blob) throw missing();
      return blob;
    },
  };
}
