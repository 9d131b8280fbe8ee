import { Config } from '@backstage/config';
import path from 'node:path';
import { BlobStore } from './BlobStore';
import { LocalDirectoryBlobStore } from './LocalDirectoryBlobStore';
import { S3BlobStore } from './S3BlobStore';

/**
 * The blob store the config asks for: S3 when `backpack.storage.s3` is set,
 * otherwise a local directory (`backpack.storage.local.directory`, by
 * default `backpack-storage` in the working directory).
 */
export async function createBlobStore(config: Config): Promise<BlobStore> {
  if (config.has('backpack.storage.s3')) {
    const store = S3BlobStore.fromConfig(config);
    await store.ensureBucket();
    return store;
  }
  const directory =
    config.getOptionalString('backpack.storage.local.directory') ?? 'backpack-storage';
  return new LocalDirectoryBlobStore({ directory: path.resolve(directory) });
}
