import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { JsonObject } from '@backstage/types';
import { BackpackBackend, startBackpackBackend } from '../../__testUtils__/backpackBackend';
import { deleteJobQueues, RABBITMQ_URL, uniqueQueueName } from '../../__testUtils__/rabbitmq';
import { CountingProxy, startS3rver, TestS3Server } from '../../__testUtils__/s3rver';
import { BackpackProcessor } from '../../processors/types';

/** The bucket the collection suites store into. */
export const BUCKET = 'backpack-collection';

/** The plugin collecting through the local RabbitMQ into s3rver, behind a proxy that counts uploads. */
export interface RabbitS3Backend {
  backend: BackpackBackend;
  /** The queue of this backend, which no other test uses. */
  queueName: string;
  s3rver: TestS3Server;
  proxy: CountingProxy;
  /** A client of s3rver itself, to read what was stored. */
  s3: S3Client;
  /** HEAD of an object: 200, or the status S3 answered. */
  headStatus(key: string): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts the plugin with the RabbitMQ queue (a queue of its own, deleted
 * on stop) and S3 storage in s3rver, reached through a counting proxy.
 */
export async function startRabbitS3Backend(options: {
  queue: { maxAttempts: number; retryDelaysMs: number[]; concurrency: number };
  backpack?: JsonObject;
  processors?: BackpackProcessor[];
  features?: any[];
}): Promise<RabbitS3Backend> {
  const queueName = uniqueQueueName('backpack-collection-test');
  const s3rver = await startS3rver();
  const proxy = new CountingProxy(s3rver.endpoint);
  await proxy.start();
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: s3rver.endpoint,
    forcePathStyle: true,
    credentials: s3rver.credentials,
  });
  const backend = await startBackpackBackend({
    manualScheduler: true,
    processors: options.processors,
    features: options.features,
    backpack: {
      queue: { ...options.queue, rabbitmq: { url: RABBITMQ_URL, queue: queueName } },
      storage: {
        s3: {
          bucket: BUCKET,
          endpoint: proxy.url,
          forcePathStyle: true,
          createBucket: true,
          credentials: s3rver.credentials,
        },
      },
      ...options.backpack,
    },
  });
  return {
    backend,
    queueName,
    s3rver,
    proxy,
    s3,
    async headStatus(key) {
      try {
        await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
        return 200;
      } catch (error) {
        return (error as any).$metadata?.httpStatusCode ?? 500;
      }
    },
    async stop() {
      await backend.stop();
      s3.destroy();
      await Promise.all([proxy.close(), s3rver.close()]);
      await deleteJobQueues(queueName, options.queue.retryDelaysMs);
    },
  };
}
