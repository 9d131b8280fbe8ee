/**
 * The files of a module version with their digests: the go.mod (read for
 * the graph anyway) and the zip, hashed here so that the collector checks
 * its bytes (sha256) and so that the go command's `h1:` hashes are known
 * before anything is mirrored: compared with the checksum database's when
 * one is configured and reachable, logged otherwise.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, isError } from '@backstage/errors';
import { createHash } from 'node:crypto';
import { Semaphore } from '../../lib/Semaphore';
import { BoundedCache } from '../../views/BoundedCache';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { ProcessorFile } from '../types';
import { goModHash } from './dirhash';
import { GoModFile, parseGoMod } from './goMod';
import { GoProxy } from './goProxy';
import { moduleZipHash, ModuleZipLimits } from './moduleZip';
import { lookupSumdb } from './sumdb';

/** A fetched go.mod with what Backpack derives from it. */
export interface FetchedGoMod {
  mod: GoModFile;
  file: ProcessorFile;
  h1: string;
}

/**
 * Module versions never change (the checksum database sees to it), so what
 * is read of one is cached: a run that finds nothing new then downloads no
 * zip again. Entries are small (a parsed go.mod, digests).
 */
const CACHE_SIZE = 20_000;

/** Zips read and hashed at once, each up to `backpack.upstream.maxMetadataBytes` in memory. */
const ZIPS_AT_ONCE = 4;

/** What is known of a module zip once read. */
interface ZipDescription {
  file: ProcessorFile;
  h1: string;
}

/** Reads go.mod files, zips and `.info`s of one processor, each once while cached. */
export class ModuleFiles {
  private readonly mods = new BoundedCache<string, Promise<FetchedGoMod>>(CACHE_SIZE);
  private readonly zips = new BoundedCache<string, Promise<ZipDescription>>(CACHE_SIZE);
  private readonly infos = new BoundedCache<string, Promise<{ file: ProcessorFile; time?: string } | undefined>>(
    CACHE_SIZE,
  );
  /** Zips are held whole while hashed: a few at a time bounds the memory that takes. */
  private readonly zipSlots = new Semaphore(ZIPS_AT_ONCE);
  /** Versions whose hashes the checksum database confirmed (or were logged, without one). */
  private readonly verified = new BoundedCache<string, true>(CACHE_SIZE);

  constructor(
    private readonly options: {
      upstream: UpstreamClient;
      sumdb?: string;
      zipLimits: ModuleZipLimits;
    },
  ) {}

  /** The go.mod of a module version, parsed, with its file entry. */
  goMod(proxy: GoProxy, path: string, version: string, signal?: AbortSignal): Promise<FetchedGoMod> {
    return memo(this.mods, proxy, path, version, () => this.fetchGoMod(proxy, path, version, signal));
  }

  private async fetchGoMod(proxy: GoProxy, path: string, version: string, signal?: AbortSignal) {
    const response = await proxy.file(path, version, 'mod', signal);
    const name = `${path}@${version} go.mod`;
    const mod = parseGoMod(response.body.toString('utf8'), name);
    if (mod.module !== undefined && mod.module !== path) {
      throw new InputError(`${name} declares module '${mod.module}'`);
    }
    return {
      mod,
      h1: goModHash(response.body),
      file: proxyFile(proxy, path, version, 'mod', response.body),
    };
  }

  /** The zip of a module version, its file entry and `h1:` hash. */
  zip(proxy: GoProxy, path: string, version: string, signal?: AbortSignal): Promise<ZipDescription> {
    return memo(this.zips, proxy, path, version, () =>
      this.zipSlots.use(() => this.fetchZip(proxy, path, version, signal)),
    );
  }

  private async fetchZip(proxy: GoProxy, path: string, version: string, signal?: AbortSignal) {
    const response = await proxy.file(path, version, 'zip', signal);
    let h1: string;
    try {
      h1 = moduleZipHash(response.body, `${path}@${version}/`, this.options.zipLimits);
    } catch (error) {
      throw new InputError(`${path}@${version} zip: ${(error as Error).message}`);
    }
    const file = proxyFile(proxy, path, version, 'zip', response.body);
    return { file, h1 };
  }

  /**
   * The `.info` of a version as the proxy wrote it (its commit time, and
   * where the proxy got it), or undefined when the proxy has none that
   * names the version: the view then generates one.
   */
  info(proxy: GoProxy, path: string, version: string, signal?: AbortSignal) {
    return memo(this.infos, proxy, path, version, () => this.fetchInfo(proxy, path, version, signal));
  }

  private async fetchInfo(proxy: GoProxy, path: string, version: string, signal?: AbortSignal) {
    let response;
    try {
      response = await proxy.file(path, version, 'info', signal);
    } catch (error) {
      // The proxy has none (a 404 or 410): the view generates one.
      if (isError(error) && error.name === 'NotFoundError') return undefined;
      throw error;
    }
    const info = proxy.info(response);
    if (info?.Version !== version) return undefined;
    const file = proxyFile(proxy, path, version, 'info', response.body);
    return { file, time: typeof info.Time === 'string' ? info.Time : undefined };
  }

  /**
   * Compares the `h1:` hashes of a version with the checksum database's,
   * when one is configured: a mismatch fails the version; an unreachable
   * or unknowing database leaves the hashes recorded in the log.
   */
  async verify(
    path: string,
    version: string,
    hashes: { zip?: string; mod: string },
    context: { logger: LoggerService; signal?: AbortSignal },
  ): Promise<void> {
    const { sumdb, upstream } = this.options;
    const { logger, signal } = context;
    const recorded = `${path} ${version} ${hashes.zip ?? '(go.mod only)'} ${version}/go.mod ${hashes.mod}`;
    const key = `${path}\0${version}\0${hashes.zip ?? ''}\0${hashes.mod}`;
    if (this.verified.get(key)) return;
    if (!sumdb) {
      // Once per version and process: the record an operator can compare
      // with go.sum files or a checksum database later.
      logger.info(`go: no checksum database configured; recorded ${recorded}`);
      this.verified.set(key, true);
      return;
    }
    const answer = await lookupSumdb(upstream, sumdb, path, version, signal);
    if (answer.status !== 'found') {
      const why = answer.status === 'unknown' ? 'does not know it' : `is unreachable (${answer.reason})`;
      logger.warn(`go: the checksum database ${why}; recorded unchecked: ${recorded}`);
      return;
    }
    for (const [what, ours, theirs] of [
      ['zip', hashes.zip, answer.zip],
      ['go.mod', hashes.mod, answer.mod],
    ] as const) {
      if (ours === undefined) continue;
      if (theirs === undefined) {
        throw new Error(`${path}@${version} ${what}: the checksum database's record has no hash for it`);
      }
      if (ours !== theirs) {
        throw new Error(
          `${path}@${version} ${what}: the proxy's bytes hash to ${ours}, the checksum database says ${theirs}`,
        );
      }
    }
    this.verified.set(key, true);
  }
}

/** A cached read of one module version; failures are not remembered, the next walk asks again. */
function memo<T>(
  cache: BoundedCache<string, Promise<T>>,
  proxy: GoProxy,
  path: string,
  version: string,
  read: () => Promise<T>,
): Promise<T> {
  const key = `${proxy.base}\0${path}\0${version}`;
  let cached = cache.get(key);
  if (!cached) {
    cached = read();
    cache.set(key, cached);
    cached.catch(() => cache.delete(key));
  }
  return cached;
}

/** The file entry of a module version's `.mod`, `.zip` or `.info`, as the proxy answered it. */
function proxyFile(
  proxy: GoProxy,
  path: string,
  version: string,
  extension: 'info' | 'mod' | 'zip',
  body: Buffer,
): ProcessorFile {
  return {
    name: `${version}.${extension}`,
    uri: proxy.fileUrl(path, version, extension),
    path: GoProxy.filePath(path, version, extension),
    integrity: { algorithm: 'sha256', digest: createHash('sha256').update(body).digest('hex') },
    size: body.length,
  };
}
