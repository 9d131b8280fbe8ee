import { ConfigReader } from '@backstage/config';
import { NotFoundError } from '@backstage/errors';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { startS3rver, TestS3Server } from '../__testUtils__/s3rver';
import { S3BlobStore } from './S3BlobStore';

jest.setTimeout(60_000);

// The behaviour shared with the directory store is tested in blobStores.test.ts.
describe('S3BlobStore', () => {
  let server: TestS3Server;
  let store: S3BlobStore;
  const stores: S3BlobStore[] = [];

  const create = (options: {
    bucket: string;
    createBucket?: boolean;
    prefix?: string;
    partSizeBytes?: number;
    queueSize?: number;
  }) => {
    const created = S3BlobStore.fromConfig(
      new ConfigReader({
        backpack: {
          storage: {
            s3: {
              ...options,
              endpoint: server.endpoint,
              forcePathStyle: true,
              credentials: server.credentials,
            },
          },
        },
      }),
    );
    stores.push(created);
    return created;
  };

  beforeAll(async () => {
    server = await startS3rver();
    store = create({
      bucket: 'backpack-test',
      createBucket: true,
      prefix: 'mirror',
    });
    await store.ensureBucket();
  });

  afterAll(async () => {
    stores.forEach(s => s.destroy());
    await server.close();
  });

  it('keeps keys below the prefix', async () => {
    await store.put('npm/p.tgz', Readable.from([Buffer.from('p')]));
    const unprefixed = create({ bucket: 'backpack-test' });
    expect(await unprefixed.head('mirror/npm/p.tgz')).toEqual({
      size: 1,
      metadata: {},
    });
    expect(await unprefixed.head('npm/p.tgz')).toBeUndefined();
  });

  it('falls back to backpack.storage.prefix', async () => {
    const fromShared = S3BlobStore.fromConfig(
      new ConfigReader({
        backpack: {
          storage: {
            prefix: 'shared',
            s3: {
              bucket: 'backpack-test',
              endpoint: server.endpoint,
              forcePathStyle: true,
              credentials: server.credentials,
            },
          },
        },
      }),
    );
    stores.push(fromShared);
    await fromShared.put('npm/q.tgz', Readable.from([Buffer.from('q')]));
    const unprefixed = create({ bucket: 'backpack-test' });
    expect((await unprefixed.head('shared/npm/q.tgz'))?.size).toBe(1);
  });

  it('refuses upload buffering outside S3 limits at startup, and uploads with what it accepts', async () => {
    expect(() => create({ bucket: 'backpack-test', partSizeBytes: 1024 * 1024 })).toThrow(
      'backpack.storage.s3.partSizeBytes: must be an integer from 5242880',
    );
    expect(() => create({ bucket: 'backpack-test', queueSize: 0 })).toThrow(
      'backpack.storage.s3.queueSize: must be an integer from 1 to 64',
    );
    const tuned = create({ bucket: 'backpack-test', partSizeBytes: 6 * 1024 * 1024, queueSize: 1 });
    const body = Buffer.alloc(13 * 1024 * 1024, 7);
    await tuned.put('tuned/file.bin', Readable.from([body]), { size: body.length });
    expect((await tuned.head('tuned/file.bin'))?.size).toBe(body.length);
  });

  it('creates a missing bucket only when allowed', async () => {
    await expect(
      create({ bucket: 'not-there' }).ensureBucket(),
    ).rejects.toThrow(NotFoundError);
    const allowed = create({ bucket: 'created-on-demand', createBucket: true });
    await allowed.ensureBucket();
    // Idempotent once it exists.
    await allowed.ensureBucket();
    await allowed.put('a.txt', Readable.from([Buffer.from('a')]));
    expect((await allowed.head('a.txt'))?.size).toBe(1);
  });
});

/**
 * Runs `test` against a plain HTTP server that answers every request as an
 * S3 put would, recording what `seen` reads off each request's headers.
 */
async function withRecordingServer(
  seen: (headers: http.IncomingHttpHeaders) => void,
  test: (endpoint: string) => Promise<void>,
): Promise<void> {
  const server = http.createServer((req, res) => {
    seen(req.headers);
    req.resume();
    req.on('end', () => res.writeHead(200, { etag: '"e"' }).end());
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  try {
    await test(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise(resolve => server.close(resolve));
  }
}

/** A store over `endpoint` with static credentials and the given S3 settings. */
function storeAt(endpoint: string, bucket: string, settings: Record<string, unknown>): S3BlobStore {
  return S3BlobStore.fromConfig(
    new ConfigReader({
      backpack: {
        storage: {
          s3: {
            bucket,
            endpoint,
            forcePathStyle: true,
            credentials: { accessKeyId: 'k', secretAccessKey: 's' },
            ...settings,
          },
        },
      },
    }),
  );
}

describe('S3BlobStore payload signing', () => {
  it('sends file bytes as UNSIGNED-PAYLOAD unless configured otherwise', async () => {
    const seen: Array<string | undefined> = [];
    const body = Buffer.from('bytes already verified');
    await withRecordingServer(
      headers => seen.push(headers['x-amz-content-sha256'] as string | undefined),
      async endpoint => {
        for (const unsignedPayload of [undefined, false]) {
          const s3 = storeAt(endpoint, 'signing', unsignedPayload === undefined ? {} : { unsignedPayload });
          // The second put runs the middleware stack the client cached at
          // the first: it must sign alike.
          await s3.put('npm/x.tgz', Readable.from([body]), { size: body.length });
          await s3.put('npm/y.tgz', Readable.from([body]), { size: body.length });
          s3.destroy();
        }
      },
    );
    const hashed = createHash('sha256').update(body).digest('hex');
    expect(seen).toEqual(['UNSIGNED-PAYLOAD', 'UNSIGNED-PAYLOAD', hashed, hashed]);
  });
});

describe('S3BlobStore direct puts', () => {
  it('leaves the SDK stack out of small puts unless directPuts is false', async () => {
    // The SDK's retry middleware stamps every request it sends with an
    // invocation id; the direct path sends none.
    const invocationIds: Array<string | undefined> = [];
    const body = Buffer.from('bytes already verified');
    await withRecordingServer(
      headers => invocationIds.push(headers['amz-sdk-invocation-id'] as string | undefined),
      async endpoint => {
        for (const directPuts of [undefined, false]) {
          const s3 = storeAt(endpoint, 'direct', directPuts === undefined ? {} : { directPuts });
          await s3.put('npm/x.tgz', Readable.from([body]), { size: body.length });
          s3.destroy();
        }
      },
    );
    expect(invocationIds).toHaveLength(2);
    expect(invocationIds[0]).toBeUndefined();
    expect(invocationIds[1]).toMatch(/^[0-9a-f-]{36}$/);
  });
});
