import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  S3Client,
  S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Config } from '@backstage/config';
import { NotFoundError } from '@backstage/errors';
import { BlobInfo, BlobRecovery, BlobStore } from './BlobStore';
import { admitBlobPut, validateBlobKey } from './blobKeys';
import {
  DEFAULT_S3_UPLOAD_SETTINGS,
  MIN_PART_SIZE_BYTES,
  readS3UploadSettings,
} from './s3UploadSettings';
import { PartBuffers, putInParts } from './s3Multipart';
import { putWholeBody, signUploadsUnsigned } from './s3Uploads';
import { S3DirectPut } from './s3DirectPut';

/** Options of {@link S3BlobStore}. */
export interface S3BlobStoreOptions {
  bucket: string;
  /** Default `us-east-1`, which S3-compatible servers usually accept. */
  region?: string;
  /** For S3-compatible servers, e.g. `http://127.0.0.1:9000`. */
  endpoint?: string;
  /** Address buckets as `<endpoint>/<bucket>` instead of `<bucket>.<endpoint>`. */
  forcePathStyle?: boolean;
  /** Static credentials; without them the SDK's default provider chain is used. */
  credentials?: {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
  };
  /** Prepended to every key, e.g. `mirror/`; a missing trailing slash is added. */
  prefix?: string;
  /** Whether {@link S3BlobStore.ensureBucket} may create a missing bucket. */
  createBucket?: boolean;
  /** Size of multipart upload parts, at least 5 MiB. Default 5 MiB. */
  partSizeBytes?: number;
  /** Parts uploaded at once per put. Default 4. */
  queueSize?: number;
  /**
   * Sends bodies as `UNSIGNED-PAYLOAD` instead of hashing them for the
   * signature. Default true.
   */
  unsignedPayload?: boolean;
  /**
   * Sends a small file's PutObject with the SDK's signer and HTTP handler
   * but without its per-request middleware (see S3DirectPut). Default true.
   */
  directPuts?: boolean;
  /**
   * {@link S3BlobStore.recover} aborts incomplete multipart uploads under
   * the prefix started longer ago than this: no live put takes that long.
   * Default 86400000 (24 hours).
   */
  staleUploadMs?: number;
}


function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    e?.name === 'NotFound' ||
    e?.name === 'NoSuchKey' ||
    e?.name === 'NoSuchBucket' ||
    e?.$metadata?.httpStatusCode === 404
  );
}

/**
 * Blobs as S3 objects.
 *
 * `put` streams the body with a multipart upload (see `putInParts`: part
 * buffers reused across uploads) whose memory use is bounded by
 * `partSizeBytes * (queueSize + 1)`, whatever the file's size. Bodies
 * smaller than one part go up as a single PutObject (without the SDK's
 * per-request middleware, see S3DirectPut), which is only sent
 * once the body ended. When the body errors — for
 * instance because the integrity check failed at its end — the upload is
 * aborted: a single PutObject is never sent and a multipart upload is
 * aborted before completion, so no object appears at the key. (Should the
 * abort request itself fail, the parts stay invisible until a bucket
 * lifecycle rule for incomplete multipart uploads removes them.)
 *
 * Metadata is stored as `x-amz-meta-*` headers.
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly createBucket: boolean;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly partBuffers: PartBuffers;
  private readonly staleUploadMs: number;
  /** Small puts without the SDK's middleware (unsigned payloads only), probed at the first. */
  private directPut?: Promise<S3DirectPut | undefined>;

  /**
   * Reads `backpack.storage.s3`: `bucket` (required), `region`, `endpoint`,
   * `forcePathStyle`, `prefix` (falling back to `backpack.storage.prefix`),
   * `createBucket`, `partSizeBytes` and `queueSize` (validated, see
   * readS3UploadSettings), `unsignedPayload`, `directPuts` and
   * `credentials.{accessKeyId,secretAccessKey}`.
   */
  static fromConfig(config: Config): S3BlobStore {
    const c = config.getConfig('backpack.storage.s3');
    const credentials = c.getOptionalConfig('credentials');
    return new S3BlobStore({
      ...readS3UploadSettings(c),
      bucket: c.getString('bucket'),
      region: c.getOptionalString('region'),
      endpoint: c.getOptionalString('endpoint'),
      forcePathStyle: c.getOptionalBoolean('forcePathStyle'),
      prefix:
        c.getOptionalString('prefix') ??
        config.getOptionalString('backpack.storage.prefix'),
      createBucket: c.getOptionalBoolean('createBucket'),
      unsignedPayload: c.getOptionalBoolean('unsignedPayload'),
      directPuts: c.getOptionalBoolean('directPuts'),
      credentials: credentials && {
        accessKeyId: credentials.getString('accessKeyId'),
        secretAccessKey: credentials.getString('secretAccessKey'),
      },
    });
  }

  constructor(options: S3BlobStoreOptions) {
    const config: S3ClientConfig = {
      region: options.region ?? 'us-east-1',
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
      // Checksums only where S3 requires them: many S3-compatible servers
      // reject the SDK's default trailing checksums, and every body is
      // already verified against the upstream digest before it is stored.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // No `Expect: 100-continue` before each part: a round trip per part
      // to spare resending a body the server would refuse, which ours do
      // not expect to be.
      expectContinueHeader: false,
      // The middleware stack is resolved once per command type rather than
      // on every request: a small file's PutObject paid for sorting and
      // wiring some thirty middleware each time. The stack is complete
      // once the constructor returns, as the cache requires.
      cacheMiddleware: true,
    };
    this.client = new S3Client(config);
    // The logger middleware formats every request's input and output for
    // the client's logger even when that is the SDK's no-op one; this
    // client is given none.
    this.client.middlewareStack.remove('loggerMiddleware');
    if (options.unsignedPayload ?? true) signUploadsUnsigned(this.client);
    // The direct path signs unsigned payloads only.
    if (!(options.unsignedPayload ?? true) || !(options.directPuts ?? true)) {
      this.directPut = Promise.resolve(undefined);
    }
    this.bucket = options.bucket;
    const prefix = options.prefix?.replace(/^\/+/, '') ?? '';
    this.prefix = prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix;
    this.createBucket = options.createBucket ?? false;
    this.partSize = Math.max(
      MIN_PART_SIZE_BYTES,
      options.partSizeBytes ?? DEFAULT_S3_UPLOAD_SETTINGS.partSizeBytes,
    );
    this.queueSize = Math.max(1, options.queueSize ?? DEFAULT_S3_UPLOAD_SETTINGS.queueSize);
    this.partBuffers = new PartBuffers(this.partSize);
    this.staleUploadMs = options.staleUploadMs ?? 24 * 60 * 60_000;
  }

  /**
   * Checks that the bucket exists, creating it when `createBucket` allows.
   * Call once at startup.
   */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (!this.createBucket) {
      throw new NotFoundError(
        `S3 bucket ${this.bucket} does not exist and createBucket is not enabled`,
      );
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      // Another replica may have created it in the meantime.
      const name = (error as { name?: string })?.name;
      if (
        name !== 'BucketAlreadyOwnedByYou' &&
        name !== 'BucketAlreadyExists'
      ) {
        throw error;
      }
    }
  }

  async put(
    key: string,
    body: Readable,
    options: { size?: number; metadata?: Record<string, string> } = {},
  ): Promise<void> {
    const metadata = admitBlobPut(key, body, options.metadata);
    const params = { Bucket: this.bucket, Key: this.objectKey(key), Metadata: metadata };
    if (options.size !== undefined && options.size < this.partSize) {
      // Read whole and counted on the way, so no size-checking stage (a
      // stream and a pipeline per file) is needed for most files.
      this.directPut ??= S3DirectPut.probe(this.client, this.bucket, this.prefix);
      await putWholeBody(this.client, params, body, options.size, this.directPut);
      return;
    }
    // The body's own error says why the put failed (e.g. an integrity
    // mismatch), even when aborting the multipart upload fails as well.
    let bodyError: unknown;
    body.once('error', error => {
      bodyError = error;
    });
    const failed = () => {
      // Stop reading from upstream when S3 failed first.
      body.destroy();
      return bodyError;
    };
    // putInParts counts the bytes against the announced size itself.
    const target = { client: this.client, params, buffers: this.partBuffers, queueSize: this.queueSize, size: options.size };
    try {
      await putInParts(target, body, failed);
    } catch (error) {
      throw failed() ?? error;
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    validateBlobKey(key);
    try {
      const result = await this.client.send(
        new HeadObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
        }),
      );
      return {
        size: result.ContentLength ?? 0,
        metadata: result.Metadata ?? {},
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async get(
    key: string,
    options: { range?: { start: number; end: number } } = {},
  ): Promise<{ body: Readable; size: number } | undefined> {
    validateBlobKey(key);
    const { range } = options;
    try {
      const result = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      // In Node the SDK returns the HTTP response stream itself.
      return {
        body: result.Body as Readable,
        size: result.ContentLength ?? 0,
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    validateBlobKey(key);
    await this.client.send(
      new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
    );
  }

  /**
   * Aborts the incomplete multipart uploads of crashed writers: those under
   * the store's prefix started more than `staleUploadMs` ago. Their parts
   * are invisible but billed until aborted. Servers that cannot list
   * uploads are reported as skipped, not as an error.
   */
  async recover(): Promise<BlobRecovery> {
    const cutoff = Date.now() - this.staleUploadMs;
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: this.prefix || undefined,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
        for (const upload of page.Uploads ?? []) {
          if (!upload.Key || !upload.UploadId) continue;
          // Another replica may be writing it right now.
          if (!upload.Initiated || upload.Initiated.getTime() > cutoff) continue;
          await this.client.send(
            new AbortMultipartUploadCommand({
              Bucket: this.bucket,
              Key: upload.Key,
              UploadId: upload.UploadId,
            }),
          );
          removed += 1;
        }
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
      } while (keyMarker);
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e?.name === 'NotImplemented' || e?.$metadata?.httpStatusCode === 501) {
        return { removed, skipped: 'the server cannot list multipart uploads' };
      }
      throw error;
    }
    return { removed };
  }

  /** Closes the SDK's connection pool. */
  destroy(): void {
    this.client.destroy();
  }

  private objectKey(key: string) {
    return `${this.prefix}${key}`;
  }
}
