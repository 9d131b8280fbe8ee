import { Config } from '@backstage/config';
import { z } from 'zod';
import { artifactConfigSchema } from '../../lib/validation';
import { upstreamBaseUrl } from '../../upstream/upstreamBaseUrl';

/** The public Hub, used when `backpack.processors.huggingface.endpoint` is not set. */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/**
 * Where the public Hub redirects file downloads (LFS and Xet storage);
 * allowed, as public-only defaults, with the default endpoint.
 */
export const HUB_DOWNLOAD_HOSTS = [
  'cdn-lfs.huggingface.co',
  'cdn-lfs.hf.co',
  'cdn-lfs-us-1.hf.co',
  'cdn-lfs-eu-1.hf.co',
  'cas-bridge.xethub.hf.co',
];

/** Files listed per revision at most, unless `backpack.processors.huggingface.maxFiles` says otherwise. */
export const DEFAULT_MAX_FILES = 10_000;

/**
 * A branch, tag or commit as the Hub names them (`main`, `v1.0`,
 * `refs/pr/1`, a 40-digit sha): no empty, `.` or `..` segments.
 */
const REVISION = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))(?!.*\/\/)[\w.\-/]{1,255}$/;

/** Whether a string may name a revision. */
export function isRevisionName(value: string): boolean {
  return REVISION.test(value) && !value.startsWith('/') && !value.endsWith('/');
}

const glob = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

/**
 * Per-artifact configuration of Hugging Face repositories.
 *
 * @public
 */
export const huggingfaceArtifactConfigSchema = artifactConfigSchema('huggingface', {
  revisions: z
    .array(
      z.string().refine(isRevisionName, {
        message: 'must be a branch, tag or commit (letters, digits, _, -, . and /)',
      }),
    )
    .min(1, 'must name at least one revision')
    .max(32, 'must name at most 32 revisions')
    .optional()
    .describe('Branches, tags or commits to mirror, each resolved to its commit (default ["main"])'),
  include: z
    .array(glob)
    .max(100)
    .optional()
    .describe(
      'Globs of the files to mirror (default all); a glob without `/` matches file names in any folder, `**` crosses folders',
    ),
  exclude: z
    .array(glob)
    .max(100)
    .optional()
    .describe('Globs of files left out, applied after include'),
});

/**
 * Per-artifact configuration of Hugging Face repositories, as parsed.
 *
 * @public
 */
export type HuggingfaceArtifactConfig = z.infer<typeof huggingfaceArtifactConfigSchema>;

/** The processor-wide settings from `backpack.processors.huggingface`. */
export interface HuggingfaceProcessorSettings {
  /** Base URL of the Hub, without a trailing slash. */
  endpoint: string;
  /** Whether the operator set `endpoint`. */
  configured: boolean;
  /** Sent as a bearer token to the endpoint's host only. */
  token?: string;
  /** Hosts the endpoint redirects file downloads to. */
  downloadHosts: string[];
  maxFiles: number;
}

/** Reads `backpack.processors.huggingface`; every key is optional. */
export function readHuggingfaceSettings(config?: Config): HuggingfaceProcessorSettings {
  const configuredUrl = config?.getOptionalString('endpoint');
  const endpoint = upstreamBaseUrl(configuredUrl ?? DEFAULT_HUB_ENDPOINT, 'backpack.processors.huggingface.endpoint');
  const maxFiles = config?.getOptionalNumber('maxFiles') ?? DEFAULT_MAX_FILES;
  if (!Number.isSafeInteger(maxFiles) || maxFiles < 1) {
    throw new Error('backpack.processors.huggingface.maxFiles: must be a positive integer');
  }
  const token = config?.getOptionalString('token')?.trim();
  if (token !== undefined && !/^[\x21-\x7e]+$/.test(token)) {
    throw new Error('backpack.processors.huggingface.token: must be printable ASCII without spaces');
  }
  return {
    endpoint,
    configured: configuredUrl !== undefined,
    token: token || undefined,
    downloadHosts:
      config?.getOptionalStringArray('downloadHosts') ??
      (configuredUrl === undefined || endpoint === DEFAULT_HUB_ENDPOINT ? HUB_DOWNLOAD_HOSTS : []),
    maxFiles,
  };
}
