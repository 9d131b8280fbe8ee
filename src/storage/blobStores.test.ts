import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { startS3rver, TestS3Server } from '../__testUtils__/s3rver';
import {
  generatedBody,
  readAll,
  sha256Of,
} from '../__testUtils__/streams';
import { BlobStore } from './BlobStore';
import { LocalDirectoryBlobStore } from './LocalDirectoryBlobStore';
import { S3BlobStore } from './S3BlobStore';

jest.setTimeout(60_000);

const KiB = 1024;
const MiB = 1024 * KiB;

/** Starts a store's backing service; returns the store and a cleanup. */
type StoreFixture = () => Promise<{
  store: BlobStore;
  close(): Promise<void>;
}>;

const localDirectory: StoreFixture = async () => {
  const directory = await mkdtemp(join(tmpdir(), 'backpack-blobs-'));
  return {
    store: new LocalDirectoryBlobStore({ directory }),
    close: () => rm(directory, { recursive: true, force: true }),
  };
};

const s3: StoreFixture = async () => {
  const server: TestS3Server = await startS3rver();
  const store = new S3BlobStore({
    bucket: 'backpack-contract',
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: server.credentials,
    createBucket: true,
    // The smallest part size S3 allows, so multipart paths run on less data.
    partSizeBytes: 5 * MiB,
  });
  await store.ensureBucket();
  return {
    store,
    async close() {
      store.destroy();
      await server.close();
    },
  };
};

/** The behaviour every BlobStore must show, run against each of them. */
describe.each([
  ['LocalDirectoryBlobStore', localDirectory],
  ['S3BlobStore', s3],
])('%s', (_name, fixture) => {
  let store: BlobStore;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ store, close } = await fixture());
  });

  afterAll(async () => {
    await close();
  });

  it('stores, describes, returns and deletes a blob with metadata', async () => {
    const key = 'npm/left-pad/-/left-pad-1.3.0.tgz';
    await store.put(key, Readable.from([Buffer.from('hello '), 'world']), {
      size: 11,
      metadata: { Integrity: 'sha1-abc', 'source-uri': 'https://x/y.tgz' },
    });

    expect(await store.head(key)).toEqual({
      size: 11,
      metadata: { integrity: 'sha1-abc', 'source-uri': 'https://x/y.tgz' },
    });
    const got = await store.get(key);
    expect(got?.size).toBe(11);
    expect((await readAll(got!.body)).toString()).toBe('hello world');

    await store.delete(key);
    expect(await store.head(key)).toBeUndefined();
    expect(await store.get(key)).toBeUndefined();
    // Deleting again is fine.
    await store.delete(key);
  });

  it('returns a byte range of a blob', async () => {
    const key = 'blobs/sha256/range';
    await store.put(key, Readable.from([Buffer.from('0123456789')]), { size: 10 });
    const middle = await store.get(key, { range: { start: 2, end: 5 } });
    expect(middle?.size).toBe(4);
    expect((await readAll(middle!.body)).toString()).toBe('2345');
    const tail = await store.get(key, { range: { start: 7, end: 9 } });
    expect((await readAll(tail!.body)).toString()).toBe('789');
    await store.delete(key);
  });

  it('answers undefined for a missing key', async () => {
    expect(await store.head('missing/file.tgz')).toBeUndefined();
    expect(await store.get('missing/file.tgz')).toBeUndefined();
  });

  it('streams a 20 MiB body in and out', async () => {
    const size = 20 * MiB;
    await store.put('big/file.bin', generatedBody(size), { size });
    expect((await store.head('big/file.bin'))?.size).toBe(size);
    const got = await store.get('big/file.bin');
    expect(got?.size).toBe(size);
    expect(await sha256Of(got!.body)).toBe(await sha256Of(generatedBody(size)));
  });

  it('leaves nothing at the key when a small body errors midway', async () => {
    await expect(
      store.put(
        'small/broken.tgz',
        generatedBody(MiB, { failAfter: 100 * KiB }),
      ),
    ).rejects.toThrow('upstream connection reset');
    expect(await store.head('small/broken.tgz')).toBeUndefined();
    expect(await store.get('small/broken.tgz')).toBeUndefined();
  });

  it.each([
    ['small', 64 * KiB],
    ['multipart', 12 * MiB],
  ])('leaves nothing at the key when a %s body of announced size fails once all its bytes passed', async (_kind, size) => {
    // As the digest check does: every byte goes through, the error comes at the end.
    const failingAtEnd = new Transform({
      transform: (chunk, _encoding, callback) => callback(null, chunk),
      flush: callback => callback(new Error('digest mismatch at the end')),
    });
    generatedBody(size).pipe(failingAtEnd);
    await expect(store.put(`late/${size}.bin`, failingAtEnd, { size })).rejects.toThrow('digest mismatch at the end');
    expect(await store.head(`late/${size}.bin`)).toBeUndefined();
  });

  it('leaves nothing at the key when a multipart body errors midway', async () => {
    await expect(
      store.put(
        'large/broken.bin',
        generatedBody(30 * MiB, { failAfter: 18 * MiB }),
      ),
    ).rejects.toThrow('upstream connection reset');
    expect(await store.head('large/broken.bin')).toBeUndefined();
  });

  it('keeps the previous object when an overwrite fails', async () => {
    await store.put('keep/file.tgz', Readable.from([Buffer.from('old')]));
    await expect(
      store.put('keep/file.tgz', generatedBody(MiB, { failAfter: 10 * KiB })),
    ).rejects.toThrow();
    const got = await store.get('keep/file.tgz');
    expect((await readAll(got!.body)).toString()).toBe('old');
  });

  it('refuses a body whose size differs from the announced one', async () => {
    await expect(
      store.put('sized/short.tgz', Readable.from([Buffer.from('abc')]), {
        size: 4,
      }),
    ).rejects.toThrow(/announced/);
    await expect(
      store.put('sized/long.tgz', Readable.from([Buffer.from('abcde')]), {
        size: 4,
      }),
    ).rejects.toThrow(/announced/);
    expect(await store.head('sized/short.tgz')).toBeUndefined();
    expect(await store.head('sized/long.tgz')).toBeUndefined();
  });

  it.each(['../escape.tgz', 'a/../../b', '/etc/passwd', 'a//b', 'a/./b', ''])(
    'rejects the key %j',
    async key => {
      await expect(
        store.put(key, Readable.from([Buffer.from('x')])),
      ).rejects.toThrow(/Blob key/);
      await expect(store.head(key)).rejects.toThrow(/Blob key/);
      await expect(store.get(key)).rejects.toThrow(/Blob key/);
      await expect(store.delete(key)).rejects.toThrow(/Blob key/);
    },
  );
});
