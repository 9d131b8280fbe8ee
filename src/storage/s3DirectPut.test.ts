import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { startS3rver, TestS3Server } from '../__testUtils__/s3rver';
import { escapeKey, S3DirectPut } from './s3DirectPut';

jest.setTimeout(60_000);

const KEYS = ['npm/left-pad/-/left-pad-1.3.0.tgz', "a b+c/(x)!*'~/ü😀%2F.tgz", '@scope/p/-/p 1.0.0.tgz'];

/** The request the SDK builds for a PutObject, caught before it is signed or sent. */
async function sdkRequest(client: S3Client, bucket: string, key: string, metadata: Record<string, string>) {
  const command = new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from('xyz'), ContentLength: 3, Metadata: metadata });
  let caught: any;
  command.middlewareStack.add(
    () => async args => {
      caught = args.request;
      throw new Error('caught');
    },
    { step: 'finalizeRequest', priority: 'high', name: 'catchRequest' },
  );
  await client.send(command, {}).catch(() => undefined);
  return caught;
}

describe('S3DirectPut', () => {
  const clients: S3Client[] = [];
  const client = (config: S3ClientConfig) => {
    const created = new S3Client({ requestChecksumCalculation: 'WHEN_REQUIRED', ...config });
    clients.push(created);
    return created;
  };
  afterAll(() => clients.forEach(c => c.destroy()));

  it('escapes keys as the SDK does', async () => {
    const sdk = client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:1', forcePathStyle: true, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    for (const key of KEYS) {
      expect((await sdkRequest(sdk, 'bucket', key, {})).path).toBe(`/bucket/${escapeKey(key)}`);
    }
  });

  it.each([
    ['a path-style custom endpoint', { region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true }, 'bucket'],
    ['AWS, virtual-hosted', { region: 'eu-west-1' }, 'my-bucket'],
    ['AWS, a bucket with dots', { region: 'eu-central-1' }, 'my.dotted.bucket'],
    ['AWS, path-style', { region: 'ap-south-1', forcePathStyle: true }, 'my-bucket'],
  ])('sends to the URL the SDK would, with its headers and metadata: %s', async (_name, config, bucket) => {
    const sdk = client({ ...config, credentials: { accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 't' } });
    const direct = await S3DirectPut.probe(sdk, bucket, 'mirror/');
    expect(direct).toBeDefined();
    // Catch what the direct path hands the HTTP handler instead of sending it.
    const sent: any[] = [];
    const handler = sdk.config.requestHandler;
    const handle = jest.spyOn(handler, 'handle').mockImplementation(async request => {
      sent.push(request);
      throw new Error('not sent');
    });
    try {
      for (const key of KEYS) {
        const metadata = { integrity: 'sha512-abc==', source: 'https://registry.example/p.tgz' };
        expect(await direct!.put(`mirror/${key}`, Buffer.from('xyz'), metadata)).toBe(false);
        const ours = sent.pop();
        const theirs = await sdkRequest(sdk, bucket, `mirror/${key}`, metadata);
        for (const part of ['method', 'protocol', 'hostname', 'port', 'path', 'query']) {
          expect([part, ours[part]]).toEqual([part, theirs[part]]);
        }
        for (const header of ['host', 'content-type', 'content-length', 'x-amz-meta-integrity', 'x-amz-meta-source']) {
          expect([header, ours.headers[header]]).toEqual([header, theirs.headers[header] ?? (header === 'host' ? theirs.hostname : undefined)]);
        }
        expect(ours.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
        expect(ours.headers['x-amz-security-token']).toBe('t');
        expect(ours.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=a\/\d{8}\/[a-z0-9-]+\/s3\/aws4_request, SignedHeaders=\S*host;\S*x-amz-content-sha256;x-amz-date/);
      }
      // A network failure leaves the next put on this path.
      expect(direct!.usable).toBe(true);
    } finally {
      handle.mockRestore();
    }
  });

  it('leaves S3 Express buckets to the SDK', async () => {
    const sdk = client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    expect(await S3DirectPut.probe(sdk, 'my-bucket--use1-az4--x-s3', '')).toBeUndefined();
  });

  describe('against an S3 server', () => {
    let server: TestS3Server;
    let sdk: S3Client;

    beforeAll(async () => {
      server = await startS3rver();
      sdk = client({ region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true, credentials: server.credentials });
      await sdk.send(new CreateBucketCommand({ Bucket: 'direct' }));
    });
    afterAll(() => server.close());

    it('stores the object as the SDK would: bytes, type and metadata', async () => {
      const direct = await S3DirectPut.probe(sdk, 'direct', 'm/');
      const key = `m/${KEYS[1]}`;
      expect(await direct!.put(key, Buffer.from('hello'), { integrity: 'sha256-x', source: 'https://h/p' })).toBe(true);
      const stored = await sdk.send(new GetObjectCommand({ Bucket: 'direct', Key: key }));
      expect(await stored.Body!.transformToString()).toBe('hello');
      expect(stored.ContentType).toBe('application/octet-stream');
      expect(stored.Metadata).toEqual({ integrity: 'sha256-x', source: 'https://h/p' });
    });

    it('hands a put S3 refused back to the caller, and stays off for the store', async () => {
      const direct = await S3DirectPut.probe(sdk, 'no-such-bucket', '');
      expect(await direct!.put('k.tgz', Buffer.from('x'))).toBe(false);
      expect(direct!.usable).toBe(false);
    });
  });
});
