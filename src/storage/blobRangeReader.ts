import { RangeReader } from '../lib/zipEntry';
import { BlobStore } from './BlobStore';

/** Ranged reads of a stored object, for reading inside archives without fetching them whole. */
export function blobRangeReader(blobStore: BlobStore, key: string): RangeReader {
  return async (start, end) => {
    const blob = await blobStore.get(key, { range: { start, end } });
    if (!blob) throw new Error(`${key} is gone from storage`);
    const chunks: Buffer[] = [];
    for await (const chunk of blob.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
}
