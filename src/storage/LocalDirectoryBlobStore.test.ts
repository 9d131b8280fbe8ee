import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ConfigReader } from '@backstage/config';
import { generatedBody } from '../__testUtils__/streams';
import { LocalDirectoryBlobStore } from './LocalDirectoryBlobStore';

// The behaviour shared with the S3 store is tested in blobStores.test.ts.
describe('LocalDirectoryBlobStore', () => {
  let directory: string;
  let store: LocalDirectoryBlobStore;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'backpack-blobs-'));
    store = LocalDirectoryBlobStore.fromConfig(
      new ConfigReader({
        backpack: { storage: { local: { directory } } },
      }),
    );
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('keeps the file at its key inside the directory', async () => {
    await store.put('npm/a/-/a-1.0.0.tgz', Readable.from([Buffer.from('a')]));
    expect(existsSync(join(directory, 'npm/a/-/a-1.0.0.tgz'))).toBe(true);
  });

  it('removes the temporary file of a failed put', async () => {
    await expect(
      store.put('x/y.tgz', generatedBody(1024 * 1024, { failAfter: 1000 })),
    ).rejects.toThrow();
    expect(await readdir(join(directory, '.backpack-tmp'))).toEqual([]);
    expect(existsSync(join(directory, 'x/y.tgz'))).toBe(false);
  });

  it('does not let a key escape the directory', async () => {
    await expect(
      store.put('../outside.tgz', Readable.from([Buffer.from('x')])),
    ).rejects.toThrow(/Blob key/);
    expect(existsSync(join(directory, '..', 'outside.tgz'))).toBe(false);
  });

  it('reserves its own bookkeeping directories', async () => {
    await expect(store.head('.backpack-meta/a.json')).rejects.toThrow(
      /reserved/,
    );
  });

  it('reports a key that clashes with a directory as a conflict', async () => {
    await store.put('a/b.tgz', Readable.from([Buffer.from('x')]));
    await expect(
      store.put('a', Readable.from([Buffer.from('y')])),
    ).rejects.toThrow(/clashes/);
  });
});
