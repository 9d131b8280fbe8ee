import { NotFoundError } from '@backstage/errors';
import { Readable } from 'node:stream';
import { MirroredFile } from '../database/MirrorReadStore';
import { BlobStore } from '../storage/BlobStore';

/** A generated document of a registry view (a packument, an index page, metadata). */
export interface ServedDocument {
  contentType: string;
  body: string;
}

/** A stored file a registry view serves, opened only when the body is sent. */
export interface ServedFile {
  contentType: string;
  /** Size in bytes; asks the blob store when the database does not know it. */
  size(): Promise<number>;
  /** The bytes. */
  open(): Promise<{ body: Readable; size: number }>;
}

/** A generated document or a stored file. */
export type ServedContent =
  | ({ kind: 'document' } & ServedDocument)
  | ({ kind: 'file' } & ServedFile);

/** Serves a collected file's bytes from the blob store. */
export function servedBlob(
  blobStore: BlobStore,
  file: MirroredFile,
  contentType: string,
): ServedFile {
  // The database says collected but the object is gone (deleted by hand,
  // a bucket restored from an older backup): a 404, not a 500.
  const missing = () =>
    new NotFoundError(`${file.path} is recorded as collected but missing from storage`);
  return {
    contentType,
    async size() {
      if (file.size !== undefined) return file.size;
      const info = await blobStore.head(file.storageKey);
      if (!info) throw missing();
      return info.size;
    },
    async open() {
      const blob = await blobStore.get(file.storageKey);
      if (!blob) throw missing();
      return blob;
    },
  };
}
