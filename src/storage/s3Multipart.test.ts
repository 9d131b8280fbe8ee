import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startS3rver, TestS3Server } from '../__testUtils__/s3rver';
import { generatedBody, sha256Of } from '../__testUtils__/streams';
import { PartBuffers, putInParts } from './s3Multipart';
import { Readable } from 'node:stream';

jest.setTimeout(60_000);

const MiB = 1024 * 1024;

describe('PartBuffers', () => {
  it('hands back given buffers while uploads run, and drops them when none does', () => {
    const buffers = new PartBuffers(16);
    buffers.begin();
    const a = buffers.take();
    const b = buffers.take();
    expect(a).not.toBe(b);
    expect(a.length).toBe(16);
    buffers.give(a);
    expect(buffers.take()).toBe(a);
    buffers.give(a);
    buffers.give(b);
    buffers.end();
    // No upload runs: nothing is kept for the next one.
    buffers.begin();
    const c = buffers.take();
    expect(c).not.toBe(a);
    expect(c).not.toBe(b);
    buffers.end();
  });
});

describe('putInParts', () => {
  let server: TestS3Server;
  let client: S3Client;

  beforeAll(async () => {
    server = await startS3rver();
    client = new S3Client({
      endpoint: server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: server.credentials,
    });
    await client.send(new CreateBucketCommand({ Bucket: 'parts' }));
  });

  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  const stored = async (key: string) => {
    const object = await client.send(new GetObjectCommand({ Bucket: 'parts', Key: key }));
    return { size: object.ContentLength, sha256: await sha256Of(object.Body as Readable), metadata: object.Metadata };
  };

  it('uploads bodies in parts from reused buffers, byte for byte, whatever their chunks', async () => {
    const buffers = new PartBuffers(5 * MiB);
    const taken: Buffer[] = [];
    const take = buffers.take.bind(buffers);
    buffers.take = () => {
      const buffer = take();
      taken.push(buffer);
      return buffer;
    };
    const size = 17 * MiB + 124;
    const target = (key: string) => ({
      client,
      params: { Bucket: 'parts', Key: key, Metadata: { source: 'test' } },
      buffers,
      queueSize: 2,
    });
    // Two uploads at once share the buffers.
    await Promise.all([
      putInParts(target('one.bin'), generatedBody(size, { seed: 1 }), () => undefined),
      putInParts(target('two.bin'), generatedBody(size, { seed: 2 }), () => undefined),
    ]);
    expect(await stored('one.bin')).toEqual({
      size,
      sha256: await sha256Of(generatedBody(size, { seed: 1 })),
      metadata: { source: 'test' },
    });
    expect((await stored('two.bin')).sha256).toBe(await sha256Of(generatedBody(size, { seed: 2 })));
    // Four parts each, at most two in flight plus the one filling: fewer
    // buffers than parts were ever made.
    expect(new Set(taken).size).toBeLessThanOrEqual(6);
    expect(taken.length).toBeGreaterThan(new Set(taken).size);

    // A body that ends within the first part goes up whole.
    await putInParts(target('small.bin'), generatedBody(1000, { seed: 3 }), () => undefined);
    expect(await stored('small.bin')).toMatchObject({ size: 1000 });
  });

  it('reports the body error it is told of, and leaves no object', async () => {
    const body = generatedBody(12 * MiB, { failAfter: 7 * MiB });
    let bodyError: unknown;
    body.once('error', error => {
      bodyError = error;
    });
    await expect(
      putInParts(
        { client, params: { Bucket: 'parts', Key: 'broken.bin' }, buffers: new PartBuffers(5 * MiB), queueSize: 4 },
        body,
        () => bodyError,
      ),
    ).rejects.toThrow('upstream connection reset');
    await expect(client.send(new GetObjectCommand({ Bucket: 'parts', Key: 'broken.bin' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
  });

  it.each([
    ['longer', 11 * MiB, /larger than the announced 10485760 bytes/],
    ['shorter', 9 * MiB, /has 9437184 bytes, not the announced 10485760/],
  ])('refuses a multipart body %s than its announced size, and leaves no object', async (name, length, message) => {
    const key = `sized-${name}.bin`;
    await expect(
      putInParts(
        { client, params: { Bucket: 'parts', Key: key }, buffers: new PartBuffers(5 * MiB), queueSize: 2, size: 10 * MiB },
        generatedBody(length, { seed: 4 }),
        () => undefined,
      ),
    ).rejects.toThrow(message);
    await expect(client.send(new GetObjectCommand({ Bucket: 'parts', Key: key }))).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
  });
});
