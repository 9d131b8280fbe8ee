import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import RE2 from 're2';
import { z } from 'zod';
import { artifactConfigSchema } from '../../lib/validation';
import { errorMessage } from '../../lib/errorMessage';
import { upstreamBaseUrl } from '../../upstream/upstreamBaseUrl';

/** The processor's name and config block, `backpack.processors.github-releases`. */
export const GITHUB_RELEASES = 'github-releases';
const PREFIX = `backpack.processors.${GITHUB_RELEASES}`;

/** github.com's API, used when `apiUrl` is not set. */
export const DEFAULT_GITHUB_API = 'https://api.github.com';

/**
 * Where github.com's release assets are downloaded from: `github.com`
 * redirects `browser_download_url` to one of the asset hosts.
 */
export const GITHUB_DOWNLOAD_HOSTS = [
  'github.com',
  'objects.githubusercontent.com',
  'release-assets.githubusercontent.com',
];

function compiles(pattern: string): boolean {
  try {
    // RE2, as version filters: linear time whatever the pattern.
    // eslint-disable-next-line no-new
    new RE2(pattern);
    return true;
  } catch {
    return false;
  }
}

/**
 * Per-artifact configuration of a repository's releases.
 *
 * @public
 */
export const githubReleasesArtifactConfigSchema = artifactConfigSchema('github-releases', {
  assets: z
    .string()
    .min(1)
    .max(1024)
    .refine(compiles, 'must be a valid regular expression (RE2 syntax)')
    .optional()
    .describe('Regular expression (RE2) on asset names: only matching assets are mirrored (default all)'),
  includePrereleases: z
    .boolean()
    .optional()
    .describe('Mirror pre-releases too (default: the processor setting, false)'),
});

/**
 * Per-artifact configuration of a repository's releases, as parsed.
 *
 * @public
 */
export type GithubReleasesArtifactConfig = z.infer<typeof githubReleasesArtifactConfigSchema>;

/** The processor-wide settings from `backpack.processors.github-releases`. */
export interface GithubReleasesSettings {
  apiUrl: string;
  /** Whether the operator set `apiUrl` (then its host may be internal). */
  apiConfigured: boolean;
  token?: string;
  downloadHosts: string[];
  includePrereleases: boolean;
  maxPages: number;
  maxChecksumBytes: number;
}

function positiveInteger(config: Config | undefined, key: string, fallback: number): number {
  const value = config?.getOptionalNumber(key) ?? fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InputError(`${PREFIX}.${key}: must be a positive integer`);
  }
  return value;
}

/**
 * The token of the `integrations.github` entry whose API is `apiUrl`,
 * so that an operator who configured GitHub for Backstage need not repeat
 * it. Only static tokens: GitHub App entries are not read here.
 */
function integrationToken(root: Config | undefined, apiUrl: string): string | undefined {
  for (const entry of root?.getOptionalConfigArray('integrations.github') ?? []) {
    const host = entry.getOptionalString('host') ?? 'github.com';
    const api = entry.getOptionalString('apiBaseUrl') ?? (host === 'github.com' ? DEFAULT_GITHUB_API : undefined);
    const token = entry.getOptionalString('token');
    if (!api || !token) continue;
    try {
      if (upstreamBaseUrl(api, 'integrations.github.apiBaseUrl') === apiUrl) return token;
    } catch (error) {
      throw new InputError(`integrations.github: ${errorMessage(error)}`);
    }
  }
  return undefined;
}

/** Reads `backpack.processors.github-releases` (every key optional) and the token's fallback. */
export function readGithubReleasesSettings(config?: Config, root?: Config): GithubReleasesSettings {
  const configuredApi = config?.getOptionalString('apiUrl');
  const apiUrl = upstreamBaseUrl(configuredApi ?? DEFAULT_GITHUB_API, `${PREFIX}.apiUrl`);
  const isGithubCom = apiUrl === DEFAULT_GITHUB_API;
  return {
    apiUrl,
    apiConfigured: configuredApi !== undefined,
    token: config?.getOptionalString('token') ?? integrationToken(root, apiUrl),
    downloadHosts: config?.getOptionalStringArray('downloadHosts') ?? (isGithubCom ? GITHUB_DOWNLOAD_HOSTS : []),
    includePrereleases: config?.getOptionalBoolean('includePrereleases') ?? false,
    maxPages: positiveInteger(config, 'maxPages', 10),
    maxChecksumBytes: positiveInteger(config, 'maxChecksumBytes', 1024 * 1024),
  };
}
