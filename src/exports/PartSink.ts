import { createHash, Hash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { BlobStore } from '../storage/BlobStore';
import { BundlePart } from './types';

interface OpenPart {
  name: string;
  stream: PassThrough;
  hash: Hash;
  size: number;
  upload: Promise<void>;
}

/** Name of the n-th part (1-based): `part-00001.tar`. */
export function partName(n: number): string {
  return `part-${String(n).padStart(5, '0')}.tar`;
}

/**
 * Cuts one byte stream into parts of `partSize` bytes (the last one
 * shorter) and uploads each to the blob store as it is written, hashing it
 * on the way. One part is open at a time and writes wait for the upload to
 * take the bytes, so memory stays constant however big the stream is.
 */
export class PartSink {
  private current?: OpenPart;
  private readonly written: BundlePart[] = [];
  private readonly keys: string[] = [];
  private offset = 0;

  constructor(
    private readonly options: {
      blobStore: BlobStore;
      /** Blob key of a part by its name. */
      keyOf: (name: string) => string;
      partSize: number;
    },
  ) {
    if (!(options.partSize > 0)) throw new Error('partSize must be positive');
  }

  /** Bytes written so far: the offset of the next byte in the whole stream. */
  get position(): number {
    return this.offset;
  }

  async write(chunk: Buffer): Promise<void> {
    let rest = chunk;
    while (rest.length > 0) {
      const part = this.current ?? this.open();
      const piece = rest.subarray(0, this.options.partSize - part.size);
      rest = rest.subarray(piece.length);
      part.hash.update(piece);
      part.size += piece.length;
      this.offset += piece.length;
      if (!part.stream.write(piece)) {
        // Either the upload drains the stream or it failed (and rejects).
        await Promise.race([
          once(part.stream, 'drain').catch(() => undefined),
          part.upload,
        ]);
        if (part.stream.destroyed) await part.upload;
      }
      if (part.size === this.options.partSize) await this.close();
    }
  }

  /** Ends the last part and answers every part written. */
  async finish(): Promise<BundlePart[]> {
    if (this.current) await this.close();
    return [...this.written];
  }

  /** Stops the open upload and deletes every part written. */
  async abort(error: Error): Promise<void> {
    const part = this.current;
    this.current = undefined;
    if (part) {
      part.stream.destroy(error);
      await part.upload.catch(() => undefined);
    }
    for (const key of this.keys) {
      await this.options.blobStore.delete(key).catch(() => undefined);
    }
  }

  private open(): OpenPart {
    const name = partName(this.written.length + 1);
    const key = this.options.keyOf(name);
    this.keys.push(key);
    const stream = new PassThrough({ highWaterMark: 1024 * 1024 });
    const upload = this.options.blobStore.put(key, stream);
    // Observed through write() and close(); this keeps an early failure from
    // being reported as unhandled before either awaits it.
    upload.catch(() => undefined);
    this.current = { name, stream, hash: createHash('sha256'), size: 0, upload };
    return this.current;
  }

  private async close(): Promise<void> {
    const part = this.current!;
    this.current = undefined;
    part.stream.end();
    await part.upload;
    this.written.push({
      name: part.name,
      size: part.size,
      sha256: part.hash.digest('hex'),
    });
  }
}
