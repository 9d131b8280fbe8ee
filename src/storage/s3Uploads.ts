import { Readable } from 'node:stream';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { InputError } from '@backstage/errors';
import { readAtMost } from '../lib/readAtMost';
import { S3DirectPut } from './s3DirectPut';

/** Commands whose bodies are file bytes, already hashed against the upstream's digest. */
const UPLOADS = new Set(['PutObjectCommand', 'UploadPartCommand']);

/**
 * Sends the bodies of uploads as `UNSIGNED-PAYLOAD` instead of hashing them
 * for the signature. The signer hashes a body it can read as bytes (every
 * part, every whole small body) unless this header names the payload hash
 * already. Safe here: the collector hashes every byte
 * against the upstream's digest on its way in, and nothing is read back;
 * a second SHA-256 pass would only double the CPU per byte.
 */
export function signUploadsUnsigned(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => args => {
      const request = args.request as { headers?: Record<string, string> } | undefined;
      if (UPLOADS.has(context.commandName ?? '') && request?.headers) {
        request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      }
      return next(args);
    },
    { step: 'build', name: 'backpackUnsignedPayload' },
  );
}

/**
 * Puts a body announced to be smaller than one multipart part: read whole
 * into a buffer of its own size (short-lived, so the garbage collector's
 * young generation takes it back cheaply) and sent as one PutObject only
 * once it ended well and held exactly `size` bytes. A body that fails —
 * e.g. its integrity check at its end — rejects with its own error, and
 * nothing is sent. With `direct`, the put goes without the SDK's
 * per-request middleware, and through the SDK only when that failed.
 */
export async function putWholeBody(
  client: S3Client,
  params: { Bucket: string; Key: string; Metadata?: Record<string, string> },
  body: Readable,
  size: number,
  direct?: Promise<S3DirectPut | undefined>,
): Promise<void> {
  const bytes = await readAtMost(body, size);
  if (!bytes) throw new InputError(`Body is larger than the announced ${size} bytes`);
  if (bytes.length !== size) throw new InputError(`Body has ${bytes.length} bytes, not the announced ${size}`);
  if (await (await direct)?.put(params.Key, bytes, params.Metadata)) return;
  await client.send(new PutObjectCommand({ ...params, Body: bytes, ContentLength: bytes.length }));
}
