import {
  DeleteObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';

/**
 * The harness's own view of the bench bucket: what landed under a prefix
 * (to check each copy is complete) and cleanup between repetitions, so the
 * large-file runs do not fill the disk.
 */
export class S3Bucket {
  private readonly client: S3Client;

  constructor(
    endpoint: string,
    readonly bucket: string,
    credentials: { accessKeyId: string; secretAccessKey: string },
  ) {
    this.client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** Keys and sizes below a prefix. */
  async list(prefix: string): Promise<Array<{ key: string; size: number }>> {
    const objects: Array<{ key: string; size: number }> = [];
    for (;;) {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          StartAfter: objects.length ? objects[objects.length - 1].key : undefined,
        }),
      );
      for (const o of page.Contents ?? []) objects.push({ key: o.Key!, size: o.Size ?? 0 });
      if (!page.IsTruncated || !page.Contents?.length) return objects;
    }
  }

  /**
   * Deletes everything below a prefix, one key at a time: s3rver removes
   * emptied directories after a delete, and concurrent deletes in one
   * directory race on that and answer InternalError.
   */
  async deletePrefix(prefix: string): Promise<void> {
    for (const { key } of await this.list(prefix)) {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}
