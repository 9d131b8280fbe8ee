import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Config } from '@backstage/config';
import { ConflictError, InputError } from '@backstage/errors';
import { isProcessAlive, localHost } from '../lib/workerIdentity';
import { BlobInfo, BlobRecovery, BlobStore } from './BlobStore';
import { ExpectedSizeStream } from './ExpectedSizeStream';
import { admitBlobPut, validateBlobKey } from './blobKeys';

/** Options of {@link LocalDirectoryBlobStore}. */
export interface LocalDirectoryBlobStoreOptions {
  /** Root directory; created on the first put. */
  directory: string;
  /**
   * A temporary file not written to for this long is abandoned whoever
   * wrote it (a live download writes every few seconds at least, and
   * stalls far shorter than this abort). Default 3600000 (1 hour).
   */
  staleTempFileMs?: number;
}

/** Holds metadata files, mirroring the key layout. */
const META_DIR = '.backpack-meta';
/** Holds bodies being written, on the same file system as their keys. */
const TEMP_DIR = '.backpack-tmp';
/** `<host>~<pid>~<uuid>[.meta]`: who writes a temporary file. */
const TEMP_NAME = /^(.+)~(\d+)~[0-9a-f-]{36}(\.meta)?$/;

function isErrno(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as NodeJS.ErrnoException)?.code ?? '');
}

/**
 * Blobs as files below a root directory, the embedded default store.
 *
 * The object for key `a/b.tgz` is the file `<directory>/a/b.tgz`, so the
 * directory itself has the mirror's layout. Metadata is kept as JSON in a
 * parallel tree, `<directory>/.backpack-meta/a/b.tgz.json`. Keys starting
 * with `.backpack-` are reserved.
 *
 * A body is written to a temporary file below `<directory>/.backpack-tmp`,
 * flushed to disk and renamed onto the key only after the stream ended
 * without error, so the key never shows partial bytes.
 */
export class LocalDirectoryBlobStore implements BlobStore {
  private readonly root: string;
  private readonly staleTempFileMs: number;

  /**
   * Reads `backpack.storage.local.directory`, by default `backpack-storage`
   * in the working directory.
   */
  static fromConfig(config: Config): LocalDirectoryBlobStore {
    return new LocalDirectoryBlobStore({
      directory:
        config.getOptionalString('backpack.storage.local.directory') ??
        'backpack-storage',
    });
  }

  constructor(options: LocalDirectoryBlobStoreOptions) {
    this.root = resolve(options.directory);
    this.staleTempFileMs = options.staleTempFileMs ?? 60 * 60_000;
  }

  async put(
    key: string,
    body: Readable,
    options: { size?: number; metadata?: Record<string, string> } = {},
  ): Promise<void> {
    const metadata = admitBlobPut(key, body, options.metadata, k => this.validate(k));
    const dataPath = this.dataPath(key);
    // Named after its writer, so that recover() can tell a crashed
    // writer's leftovers from a live one's work in progress.
    const owner = `${encodeURIComponent(localHost())}~${process.pid}`;
    const tempPath = join(this.root, TEMP_DIR, `${owner}~${randomUUID()}`);
    const tempMetaPath = `${tempPath}.meta`;
    let out: ReturnType<typeof createWriteStream> | undefined;
    try {
      await mkdir(dirname(tempPath), { recursive: true });
      const stages: Array<Readable | Transform> = [body];
      if (options.size !== undefined) {
        stages.push(new ExpectedSizeStream(options.size));
      }
      out = createWriteStream(tempPath, { flags: 'wx' });
      await pipeline([...stages, out]);
      await this.sync(tempPath);

      await mkdir(dirname(this.metaPath(key)), { recursive: true });
      await this.writeFileSynced(tempMetaPath, JSON.stringify({ metadata }));
      await rename(tempMetaPath, this.metaPath(key));

      await mkdir(dirname(dataPath), { recursive: true });
      await rename(tempPath, dataPath);
    } catch (error) {
      body.destroy();
      // The write stream opens its file asynchronously and may create it
      // after the pipeline failed; remove it only once the stream closed.
      if (out && !out.closed) {
        await new Promise<void>(done => out!.once('close', () => done()));
      }
      await rm(tempPath, { force: true });
      await rm(tempMetaPath, { force: true });
      if (isErrno(error, 'ENOTDIR', 'EISDIR', 'EEXIST')) {
        throw new ConflictError(
          `Blob key ${key} clashes with another key in the directory layout`,
          error,
        );
      }
      throw error;
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    this.validate(key);
    let size: number;
    try {
      const stats = await stat(this.dataPath(key));
      if (!stats.isFile()) return undefined;
      size = stats.size;
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR')) return undefined;
      throw error;
    }
    return { size, metadata: await this.readMetadata(key) };
  }

  async get(
    key: string,
    options: { range?: { start: number; end: number } } = {},
  ): Promise<{ body: Readable; size: number } | undefined> {
    this.validate(key);
    let handle;
    try {
      handle = await open(this.dataPath(key), 'r');
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR', 'EISDIR')) return undefined;
      throw error;
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) {
        await handle.close();
        return undefined;
      }
      // Reading from the open handle survives a concurrent delete or overwrite.
      const { range } = options;
      if (range) {
        const end = Math.min(range.end, stats.size - 1);
        return { body: handle.createReadStream({ start: range.start, end }), size: Math.max(0, end - range.start + 1) };
      }
      return { body: handle.createReadStream(), size: stats.size };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    this.validate(key);
    await rm(this.dataPath(key), { force: true });
    await rm(this.metaPath(key), { force: true });
  }

  /**
   * Removes the temporary files of writers that crashed: those of a process
   * on this host that no longer runs, and any not written to for
   * `staleTempFileMs` (another host's, or of an older naming).
   */
  async recover(): Promise<BlobRecovery> {
    const directory = join(this.root, TEMP_DIR);
    let names: string[];
    try {
      names = await readdir(directory);
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR')) return { removed: 0 };
      throw error;
    }
    const host = localHost();
    let removed = 0;
    for (const name of names) {
      const path = join(directory, name);
      const owner = TEMP_NAME.exec(name);
      const ownerDead =
        owner !== null &&
        owner[1] === encodeURIComponent(host) &&
        !isProcessAlive(Number(owner[2]));
      let stale = false;
      try {
        stale = Date.now() - (await stat(path)).mtimeMs > this.staleTempFileMs;
      } catch (error) {
        // Renamed onto its key or removed by its writer meanwhile.
        if (isErrno(error, 'ENOENT')) continue;
        throw error;
      }
      if (ownerDead || stale) {
        await rm(path, { force: true, recursive: true });
        removed += 1;
      }
    }
    return { removed };
  }

  private validate(key: string) {
    validateBlobKey(key);
    if (key.split('/')[0].startsWith('.backpack-')) {
      throw new InputError(`Blob keys starting with .backpack- are reserved`);
    }
  }

  private dataPath(key: string) {
    return join(this.root, key);
  }

  private metaPath(key: string) {
    return join(this.root, META_DIR, `${key}.json`);
  }

  private async readMetadata(key: string): Promise<Record<string, string>> {
    try {
      const content = JSON.parse(await readFile(this.metaPath(key), 'utf8'));
      return content.metadata ?? {};
    } catch (error) {
      // A blob written without metadata, or by hand, has no metadata file.
      if (isErrno(error, 'ENOENT', 'ENOTDIR')) return {};
      throw error;
    }
  }

  /** Flushes a file to disk, so a rename after a crash never exposes an empty file. */
  private async sync(path: string) {
    const handle = await open(path, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private async writeFileSynced(path: string, content: string) {
    const handle = await open(path, 'wx');
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
