import { Knex } from 'knex';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createBackpackStores } from '../../database/createBackpackStores';
import { ExportServiceOptions } from '../ExportService';
import { LocalDirectoryBlobStore } from '../../storage/LocalDirectoryBlobStore';
import * as bundleFiles from './bundleFiles';

/** A bundle as a receiving network serves it; see {@link serveExportedBundle}. */
export interface ServedBundle {
  /** The temporary directory everything lives in. */
  work: string;
  server: bundleFiles.StaticServer;
  /** Stops the server and removes `work`. */
  stop(): Promise<void>;
}

/**
 * The receiving side of one processor's bundle: what `seed` puts into a new
 * mirror on `knex` is exported in full by the ExportService, downloaded,
 * checked with the verification command, unpacked the documented way and
 * served from the bundle's root by python's static server.
 */
export async function serveExportedBundle(options: {
  knex: Knex;
  processor: string;
  /** Export settings beyond the defaults, e.g. where the far side serves a directory. */
  settings?: Partial<Pick<ExportServiceOptions, 'composerRepositoryUrl'>>;
  /** Seeds the mirror; `work` is there for files the seeds are built in. */
  seed(seeder: bundleFiles.CollectedSeeder, work: string): Promise<void>;
}): Promise<ServedBundle> {
  const { knex, processor } = options;
  const work = await fs.mkdtemp(path.join(os.tmpdir(), `backpack-${processor}-bundle-`));
  let server: bundleFiles.StaticServer | undefined;
  const stop = async () => {
    await server?.stop();
    await fs.rm(work, { recursive: true, force: true });
  };
  try {
    const stores = await createBackpackStores({ database: { getClient: async () => knex } });
    const blobStore = new LocalDirectoryBlobStore({ directory: path.join(work, 'blobs') });
    await options.seed(new bundleFiles.CollectedSeeder(stores, knex, blobStore), work);

    const service = bundleFiles.testExportService({
      stores,
      blobStore,
      processors: [processor],
      partSizeBytes: 4096,
      ...options.settings,
    });
    const created = await service.createExport({});
    await service.drain();
    expect(await service.getExport(created.id)).toMatchObject({ status: 'succeeded' });
    const bundle = path.join(work, 'bundle');
    const manifest = await bundleFiles.downloadBundle(blobStore, created.id, bundle);
    expect((await bundleFiles.runVerify(bundle)).code).toBe(0);
    const root = path.join(work, 'root');
    await bundleFiles.unpackBundle(bundle, manifest, root);
    // The bundle's root, not the processor's folder, is served: pages link
    // files relatively, and clients are pointed at the processor's path.
    server = await bundleFiles.startStaticServer(root);
    return { work, server, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
