import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';

const MiB = 1024 * 1024;

/** S3's smallest part of a multipart upload (all but the last). */
export const MIN_PART_SIZE_BYTES = 5 * MiB;
/** S3's largest part. */
const MAX_PART_SIZE_BYTES = 5 * 1024 * MiB;
/** More parts in flight per upload than this only adds memory, not throughput. */
const MAX_QUEUE_SIZE = 64;

/** How the S3 store buffers a multipart upload (`backpack.storage.s3`). */
export interface S3UploadSettings {
  /** Bytes per part; a file no larger is one PutObject. */
  partSizeBytes: number;
  /** Parts of one upload in flight at once. */
  queueSize: number;
}

/**
 * The defaults: parts of 5 MiB (S3's minimum), four in flight per upload,
 * as rclone uploads. One upload then holds at most 25 MiB (see
 * {@link uploadBufferBytes}); fewer parts in flight cost large-file
 * throughput against rclone for a few MiB less.
 */
export const DEFAULT_S3_UPLOAD_SETTINGS: S3UploadSettings = {
  partSizeBytes: MIN_PART_SIZE_BYTES,
  queueSize: 4,
};

/**
 * The most file bytes one upload holds in memory: the parts in flight plus
 * the one being filled from the download (`putInParts` cuts the
 * stream into parts of `partSizeBytes` and sends `queueSize` at once).
 * A replica holds this times the files it collects at once
 * (`backpack.queue.concurrency`) when all of them are larger than a part.
 */
export function uploadBufferBytes(settings: S3UploadSettings): number {
  return settings.partSizeBytes * (settings.queueSize + 1);
}

function integerIn(config: Config, key: string, fallback: number, min: number, max: number): number {
  const value = config.getOptionalNumber(key) ?? fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InputError(
      `backpack.storage.s3.${key}: must be an integer from ${min} to ${max}, got ${value}`,
    );
  }
  return value;
}

/**
 * Reads `partSizeBytes` (5 MiB to 5 GiB, S3's limits) and `queueSize`
 * (1 to 64) of `backpack.storage.s3`, with the defaults of
 * {@link DEFAULT_S3_UPLOAD_SETTINGS}; throws an InputError naming the key
 * for anything else, instead of the upload failing on the first large file.
 */
export function readS3UploadSettings(s3Config: Config): S3UploadSettings {
  return {
    partSizeBytes: integerIn(
      s3Config,
      'partSizeBytes',
      DEFAULT_S3_UPLOAD_SETTINGS.partSizeBytes,
      MIN_PART_SIZE_BYTES,
      MAX_PART_SIZE_BYTES,
    ),
    queueSize: integerIn(s3Config, 'queueSize', DEFAULT_S3_UPLOAD_SETTINGS.queueSize, 1, MAX_QUEUE_SIZE),
  };
}
