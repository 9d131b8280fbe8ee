import { LoggerService } from '@backstage/backend-plugin-api';
import { createHash } from 'node:crypto';
import RE2 from 're2';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { redactUrl } from '../../upstream/urls';
import { ProcessorFile } from '../types';
import { ReleaseAsset } from './githubReleasesApi';
import { isChecksumFileName, parseChecksumFile } from './checksumFiles';

const API_DIGEST = /^sha256:([0-9a-fA-F]{64})$/;

/** The sha256 the API declares for an asset (`digest: sha256:<hex>`), lower-case. */
export function apiDigestOf(asset: ReleaseAsset): string | undefined {
  return asset.digest ? API_DIGEST.exec(asset.digest)?.[1].toLowerCase() : undefined;
}

/** What one release's checksum files declared, and the digests of those files' own bytes. */
interface Declared {
  digests: Map<string, string>;
  /** sha256 of each fetched checksum file, by asset name. */
  ownDigests: Map<string, string>;
}

/** Options of {@link ReleaseFileLister}. */
export interface ReleaseFileListerOptions {
  upstream: UpstreamClient;
  maxChecksumBytes: number;
  /** The URL the collector downloads an asset from. */
  downloadUrlOf(asset: ReleaseAsset): string;
}

const MAX_CACHED = 10_000;

/**
 * Lists a release's files: the assets an artifact asks for and the
 * release's checksum files, each with the digest it is verified against —
 * the checksum files' line for it when present, the API's `digest`
 * otherwise, none when neither says (the unverified-files policy decides).
 */
export class ReleaseFileLister {
  /** Checksum files read before, by asset and its size and update time: assets are replaced, not edited. */
  private readonly cache = new Map<string, { digests: Map<string, string>; own: string }>();

  constructor(private readonly options: ReleaseFileListerOptions) {}

  /** Reads one checksum asset through the upstream client, under `maxChecksumBytes`. */
  private async readChecksumFile(
    asset: ReleaseAsset,
    where: string,
    signal?: AbortSignal,
  ): Promise<{ digests: Map<string, string>; own: string }> {
    const key = [asset.url, asset.id, asset.size, asset.updated_at ?? ''].join('\0');
    const cached = this.cache.get(key);
    if (cached) return cached;
    const url = this.options.downloadUrlOf(asset);
    const response = await this.options.upstream.get(url, {
      headers: { accept: 'application/octet-stream' },
      signal,
    });
    if (response.status !== 200) {
      throw new Error(`${where}: checksum file ${asset.name}: GET ${redactUrl(response.url)} answered ${response.status}`);
    }
    if (response.body.length > this.options.maxChecksumBytes) {
      throw new Error(
        `${where}: checksum file ${asset.name} is larger than ${this.options.maxChecksumBytes} bytes (backpack.processors.github-releases.maxChecksumBytes)`,
      );
    }
    const own = createHash('sha256').update(response.body).digest('hex');
    const declared = apiDigestOf(asset);
    if (declared && declared !== own) {
      // The file Backpack would verify others against is not the one the
      // release lists: trust neither.
      throw new Error(`${where}: checksum file ${asset.name} does not match the digest the API declares for it`);
    }
    const entry = { digests: parseChecksumFile(asset.name, response.body.toString('utf8')), own };
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(key, entry);
    return entry;
  }

  private async declared(
    assets: ReleaseAsset[],
    where: string,
    logger: LoggerService,
    signal?: AbortSignal,
  ): Promise<Declared> {
    const digests = new Map<string, string>();
    const conflicting = new Set<string>();
    const ownDigests = new Map<string, string>();
    for (const asset of assets.filter(a => isChecksumFileName(a.name))) {
      if (asset.size !== undefined && asset.size > this.options.maxChecksumBytes) {
        logger.warn(`${where}: not reading checksum file ${asset.name}: larger than maxChecksumBytes`);
        continue;
      }
      const read = await this.readChecksumFile(asset, where, signal);
      ownDigests.set(asset.name, read.own);
      for (const [name, digest] of read.digests) {
        const seen = digests.get(name);
        if (seen !== undefined && seen !== digest) conflicting.add(name);
        digests.set(name, digest);
      }
    }
    for (const name of conflicting) {
      logger.warn(`${where}: checksum files disagree on ${name}; it is verified by the API's digest only`);
      digests.delete(name);
    }
    return { digests, ownDigests };
  }

  /** The files of a release: matching assets and checksum files, verified as described above. */
  async filesOf(
    assets: ReleaseAsset[],
    options: { where: string; pattern?: string; pathPrefix: string; logger: LoggerService; signal?: AbortSignal },
  ): Promise<ProcessorFile[]> {
    const { where, logger } = options;
    const matcher = options.pattern === undefined ? undefined : new RE2(options.pattern);
    const { digests, ownDigests } = await this.declared(assets, where, logger, options.signal);
    const files: ProcessorFile[] = [];
    const names = new Set<string>();
    for (const asset of assets) {
      const checksumFile = isChecksumFileName(asset.name);
      if (!checksumFile && matcher && !matcher.test(asset.name)) continue;
      const file: ProcessorFile = {
        name: asset.name,
        uri: this.options.downloadUrlOf(asset),
        path: `${options.pathPrefix}/${asset.name}`,
        size: asset.size,
      };
      const fromApi = apiDigestOf(asset);
      const fromSums = checksumFile ? ownDigests.get(asset.name) : digests.get(asset.name);
      const folded = asset.name.toLowerCase();
      if (names.has(folded)) {
        // Two names one case-insensitive file system (a bundle unpacked on
        // macOS or Windows) would make one file.
        file.skipped = `another asset of the release has the name ${asset.name} up to letter case`;
      } else if (fromSums && fromApi && fromSums !== fromApi) {
        file.skipped = `the release's checksum file and the API declare different sha256 digests for ${asset.name}`;
      }
      names.add(folded);
      const digest = fromSums ?? fromApi;
      if (digest) file.integrity = { algorithm: 'sha256', digest };
      files.push(file);
    }
    return files;
  }
}
