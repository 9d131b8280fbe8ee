import { NotFoundError } from '@backstage/errors';
import { RangeReader } from '../lib/zipEntry';
import { BlobStore } from './BlobStore';

/**
 * Ranged reads of one stored object, for reading a small part of a large
 * archive (a manifest inside a zip) without fetching it whole. A missing
 * object is a NotFoundError.
 */
export function blobRangeReader(blobStore: BlobStore, storageKey: string): RangeReader {
  return async (start, end) => {
    const blob = await blobStore.get(storageKey, { range: { start, end } });
    if (!blob) throw new NotFoundError(`${storageKey} is recorded as collected but missing from storage`);
    const chunks: Buffer[] = [];
    for await (const chunk of blob.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
}
