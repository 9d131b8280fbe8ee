import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { JsonObject } from '@backstage/types';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import request from 'supertest';
import { filesOf, waitForCollectedRun } from '../../__testUtils__/api';
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

async function sha512Base64(body: Readable): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of body) hash.update(chunk);
  return hash.digest('base64');
}

/**
 * Mirrors an npm root and checks that its run collected exactly `closure`
 * (`name@version` lines), each file once into S3, uploaded once, with the
 * bytes the integrity in `registry`'s packument names.
 */
export async function expectNpmClosureInS3(
  rabbitS3: RabbitS3Backend,
  registry: string,
  root: { id: string; filter: string },
  closure: string[],
): Promise<void> {
  const { server } = rabbitS3.backend;
  const created = await request(server)
    .post('/api/backpack/artifacts')
    .send({ processor: 'npm', ...root });
  expect(created.status).toBe(201);
  const run = await waitForCollectedRun(server, created.body.runId);
  const count = closure.length;
  expect(run.status).toBe('succeeded');
  expect(run.counters).toMatchObject({ filesQueued: count, filesCollected: count, filesFailed: 0 });

  for (const line of closure) {
    const at = line.lastIndexOf('@');
    const [name, version] = [line.slice(0, at), line.slice(at + 1)];
    const [file, ...others] = await filesOf(server, 'npm', name, version);
    expect(others).toEqual([]);
    expect(file).toMatchObject({ status: 'collected', collected: true, attempts: 1 });

    const packument = await (await fetch(`${registry}/${name.replace('/', '%2f')}`)).json();
    const object = await rabbitS3.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: file.storageKey }));
    const digest = await sha512Base64(object.Body as Readable);
    expect(`sha512-${digest}`).toBe(packument.versions[version].dist.integrity);
    expect(object.Metadata?.source).toBe(file.uri);
    // Uploaded once, and only once.
    expect(rabbitS3.proxy.puts.get(`/${BUCKET}/${file.storageKey}`)).toBe(1);
  }
}
