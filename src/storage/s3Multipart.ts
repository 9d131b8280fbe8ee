import { Readable } from 'node:stream';
import { InputError } from '@backstage/errors';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CompletedPart,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

/**
 * Part buffers reused across uploads. A part is copied into a buffer once
 * and sent from it; the buffer comes back when its request settled. Fresh
 * buffers of a few MiB per part live just long enough to reach V8's old
 * generation, so every 64 MiB of them forced a full garbage collection of
 * the whole heap: a third of the backend's CPU on large files. Reused ones
 * allocate nothing while uploads go on. The free ones never outnumber the
 * most in use at once, and are dropped when no upload runs.
 */
export class PartBuffers {
  private free: Buffer[] = [];
  private uploads = 0;

  /** @param size - bytes of each buffer: the part size */
  constructor(readonly size: number) {}

  /** An upload starts; its buffers are kept for others while any runs. */
  begin(): void {
    this.uploads += 1;
  }

  /** An upload ended, having given back every buffer it took. */
  end(): void {
    this.uploads -= 1;
    if (this.uploads === 0) this.free = [];
  }

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.size);
  }

  give(buffer: Buffer): void {
    if (this.uploads > 0) this.free.push(buffer);
  }
}

/** Where and how {@link putInParts} uploads. */
export interface PartsTarget {
  client: S3Client;
  params: { Bucket: string; Key: string; Metadata?: Record<string, string> };
  buffers: PartBuffers;
  /** Parts in flight at once. */
  queueSize: number;
  /** The body's announced size: any other count fails the upload, and nothing is stored. */
  size?: number;
}

/**
 * Uploads a body of any size in parts of `buffers.size`, `queueSize` at a
 * time; a body that ends within the first part goes up as one PutObject.
 * Nothing appears at the key unless the body ended well: the PutObject is
 * sent, or the multipart upload completed, only after its end; on any
 * error the multipart upload is aborted. `failed` says why the body
 * failed, when it did. With `target.size`, a body of any other length
 * fails with an InputError (counted here rather than by a stream stage of
 * its own, one less hop for every chunk).
 */
export async function putInParts(target: PartsTarget, source: Readable, failed: () => unknown): Promise<void> {
  const { client, params, buffers, queueSize, size } = target;
  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let partFailure: { error: unknown } | undefined;
  buffers.begin();
  let buffer = buffers.take();
  let filled = 0;

  // One CreateMultipartUpload, however many parts start at once.
  let creating: Promise<{ UploadId?: string }> | undefined;
  const createUpload = () => (creating ??= client.send(new CreateMultipartUploadCommand(params)));
  const sendPart = async (bytes: Buffer, owner: Buffer, partNumber: number) => {
    try {
      uploadId ??= (await createUpload()).UploadId;
      const result = await client.send(
        new UploadPartCommand({ ...withoutMetadata(params), UploadId: uploadId, PartNumber: partNumber, Body: bytes, ContentLength: bytes.length }),
      );
      parts.push({ PartNumber: partNumber, ETag: result.ETag });
    } catch (error) {
      partFailure ??= { error };
    } finally {
      buffers.give(owner);
    }
  };

  let partNumber = 0;
  let received = 0;
  const dispatch = async (length: number) => {
    const owner = buffer;
    const sending = sendPart(owner.subarray(0, length), owner, ++partNumber).finally(() => inFlight.delete(sending));
    inFlight.add(sending);
    buffer = buffers.take();
    filled = 0;
    while (inFlight.size >= queueSize) await Promise.race(inFlight);
  };

  try {
    try {
      for await (const chunk of source) {
        let data = chunk as Buffer;
        received += data.length;
        if (size !== undefined && received > size) {
          throw new InputError(`Body is larger than the announced ${size} bytes`);
        }
        while (data.length > 0) {
          if (partFailure) throw partFailure.error;
          const n = Math.min(data.length, buffer.length - filled);
          data.copy(buffer, filled, 0, n);
          filled += n;
          data = data.subarray(n);
          if (filled === buffer.length) await dispatch(filled);
        }
      }
    } catch (error) {
      throw failed() ?? error;
    }
    if (size !== undefined && received !== size) {
      throw new InputError(`Body has ${received} bytes, not the announced ${size}`);
    }
    if (partNumber === 0) {
      // The whole body fit in the first part.
      await client.send(new PutObjectCommand({ ...params, Body: buffer.subarray(0, filled), ContentLength: filled }));
      return;
    }
    if (filled > 0) await dispatch(filled);
    await Promise.all(inFlight);
    if (partFailure) throw partFailure.error;
    parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
    await client.send(
      new CompleteMultipartUploadCommand({ ...withoutMetadata(params), UploadId: uploadId, MultipartUpload: { Parts: parts } }),
    );
  } catch (error) {
    await Promise.allSettled(inFlight);
    if (creating) {
      const created = await creating.catch(() => undefined);
      if (created?.UploadId) {
        // Should this fail too, the parts stay invisible until a lifecycle
        // rule or `recover` removes them.
        await client
          .send(new AbortMultipartUploadCommand({ ...withoutMetadata(params), UploadId: created.UploadId }))
          .catch(() => undefined);
      }
    }
    throw error;
  } finally {
    buffers.give(buffer);
    buffers.end();
  }
}

function withoutMetadata(params: PartsTarget['params']): { Bucket: string; Key: string } {
  return { Bucket: params.Bucket, Key: params.Key };
}
