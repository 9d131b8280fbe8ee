import { Config } from '@backstage/config';
import { z } from 'zod';
import { artifactConfigSchema } from '../../lib/validation';
import { HostTrust } from '../../upstream/HostPolicy';
import {
  ConfiguredUpstream,
  readConfiguredUpstream,
} from '../../upstream/upstreamBaseUrl';

/** Packagist's Composer repository, used when `backpack.processors.composer.repository` is not set. */
export const DEFAULT_COMPOSER_REPOSITORY = 'https://repo.packagist.org';

/**
 * Where Packagist's dists are downloaded from: GitHub's API answers a
 * zipball URL with a redirect to codeload.
 */
const PACKAGIST_DIST_HOSTS = ['api.github.com', 'codeload.github.com'];

const HOST = /^[A-Za-z0-9.-]+(?::\d{1,5})?$/;

/**
 * Per-artifact configuration of Composer artifacts. Every key is optional.
 *
 * @public
 */
export const composerArtifactConfigSchema = artifactConfigSchema('composer', {
  repository: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .optional()
    .describe('Composer repository for this artifact; must be the configured repository or one of allowedRepositories'),
  devVersions: z
    .boolean()
    .optional()
    .describe('Also list development versions (branches such as dev-main and 1.x-dev), read from `~dev.json` (default false)'),
  requireDev: z
    .boolean()
    .optional()
    .describe('Follow this package\'s require-dev as well; not passed on to its dependencies (default false)'),
});

/**
 * Per-artifact configuration of Composer artifacts, as parsed.
 *
 * @public
 */
export type ComposerArtifactConfig = z.infer<typeof composerArtifactConfigSchema>;

/** The processor-wide settings from `backpack.processors.composer`. */
export interface ComposerProcessorSettings {
  repository: ConfiguredUpstream;
  /** Hosts, besides the repositories', that dist archives are downloaded from. */
  distHosts: string[];
  /** `operator` when the operator named the dist hosts; Packagist's defaults are public-only. */
  distHostTrust: HostTrust;
}

/** Reads `backpack.processors.composer`; every key is optional. */
export function readComposerProcessorSettings(config?: Config): ComposerProcessorSettings {
  const repository = readConfiguredUpstream(config, {
    prefix: 'backpack.processors.composer',
    field: 'repository',
    allowedKey: 'allowedRepositories',
    defaultUrl: DEFAULT_COMPOSER_REPOSITORY,
  });
  const configured = config?.getOptionalStringArray('distHosts');
  for (const host of configured ?? []) {
    if (!HOST.test(host)) {
      throw new Error(`backpack.processors.composer.distHosts: '${host}' is not a host name (host or host:port)`);
    }
  }
  const isPackagist = [repository.defaultUrl, ...repository.allowed].some(
    url => new URL(url).host === new URL(DEFAULT_COMPOSER_REPOSITORY).host,
  );
  return {
    repository,
    distHosts: configured ?? (isPackagist ? PACKAGIST_DIST_HOSTS : []),
    distHostTrust: configured ? 'operator' : 'default',
  };
}
