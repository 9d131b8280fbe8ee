/**
 * The operator's settings of export bundles, `backpack.exports` in
 * config.d.ts: read and checked once at startup, so that a bad value stops
 * the backend with the key's name rather than failing the first export.
 */
import { Config } from '@backstage/config';
import { readSigningConfig } from './signing/signingConfig';
import { SigningKey } from './signing/signingKey';

const DEFAULT_PART_SIZE = 1024 * 1024 * 1024;
const DEFAULT_NPM_TARBALL_BASE_URL = 'https://registry.npmjs.org/';
const DEFAULT_SETTLE_SECONDS = 5;
/** Builds a replica runs at once unless `backpack.exports.maxConcurrentBuilds` says otherwise. */
export const DEFAULT_MAX_CONCURRENT_BUILDS = 1;

/** Settings of export bundles, from `backpack.exports`. */
export interface ExportSettings {
  partSizeBytes: number;
  npmTarballBaseUrl: string;
  /** Where the far side serves a bundle's `nuget/` directory (`backpack.exports.nuget.feedBaseUrl`). */
  nugetFeedBaseUrl?: string;
  /** Where the far side serves a bundle's `composer/` directory (`backpack.exports.composer.repositoryUrl`). */
  composerRepositoryUrl?: string;
  /** How long a build waits for collections stamped before its cut-off to commit. */
  settleMs: number;
  /** Builds this replica runs at once; more wait, queued. */
  maxConcurrentBuilds: number;
  /** The key manifests are signed with (`backpack.exports.signing.privateKey`). */
  signingKey?: SigningKey;
}

/** Reads `backpack.exports`; see config.d.ts. */
export function readExportSettings(config: Config): ExportSettings {
  const exportsConfig = config.getOptionalConfig('backpack.exports');
  const partSizeBytes = exportsConfig?.getOptionalNumber('partSizeBytes') ?? DEFAULT_PART_SIZE;
  if (!Number.isInteger(partSizeBytes) || partSizeBytes < 1) {
    throw new Error(`backpack.exports.partSizeBytes must be a positive integer, got ${partSizeBytes}`);
  }
  const npmTarballBaseUrl =
    exportsConfig?.getOptionalString('npm.tarballBaseUrl') ?? DEFAULT_NPM_TARBALL_BASE_URL;
  try {
    new URL(npmTarballBaseUrl); // eslint-disable-line no-new
  } catch {
    throw new Error(`backpack.exports.npm.tarballBaseUrl is not a URL: ${npmTarballBaseUrl}`);
  }
  const nugetFeedBaseUrl = exportsConfig?.getOptionalString('nuget.feedBaseUrl');
  if (nugetFeedBaseUrl !== undefined && !/^https?:\/\//.test(nugetFeedBaseUrl)) {
    throw new Error(`backpack.exports.nuget.feedBaseUrl must be an http(s) URL, got ${nugetFeedBaseUrl}`);
  }
  const composerRepositoryUrl = exportsConfig?.getOptionalString('composer.repositoryUrl');
  if (composerRepositoryUrl !== undefined && !/^https?:\/\//.test(composerRepositoryUrl)) {
    throw new Error(`backpack.exports.composer.repositoryUrl must be an http(s) URL, got ${composerRepositoryUrl}`);
  }
  const settleSeconds = exportsConfig?.getOptionalNumber('settleSeconds') ?? DEFAULT_SETTLE_SECONDS;
  if (!(settleSeconds >= 0)) {
    throw new Error(`backpack.exports.settleSeconds must not be negative, got ${settleSeconds}`);
  }
  const maxConcurrentBuilds =
    exportsConfig?.getOptionalNumber('maxConcurrentBuilds') ?? DEFAULT_MAX_CONCURRENT_BUILDS;
  if (!Number.isInteger(maxConcurrentBuilds) || maxConcurrentBuilds < 1) {
    throw new Error(
      `backpack.exports.maxConcurrentBuilds must be a positive integer, got ${maxConcurrentBuilds}`,
    );
  }
  const signingKey = readSigningConfig(exportsConfig);
  return { partSizeBytes, npmTarballBaseUrl, nugetFeedBaseUrl, composerRepositoryUrl, settleMs: settleSeconds * 1000, maxConcurrentBuilds, signingKey };
}
