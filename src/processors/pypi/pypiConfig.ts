import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { z } from 'zod';
import { parseInput } from '../../lib/validation';
import { HostTrust } from '../../upstream/HostPolicy';
import { ConfiguredUpstream, readConfiguredUpstream } from '../../upstream/upstreamBaseUrl';

/** The public index, used when `backpack.processors.pypi.index` is not set. */
export const DEFAULT_PYPI_INDEX = 'https://pypi.org';

/** Where pypi.org serves its files from. */
const PYPI_FILE_HOST = 'files.pythonhosted.org';

const PYTHON_VERSION = /^\d+\.\d+(\.\d+)?$/;
const PLATFORM_TAG = /^[A-Za-z0-9_]+$/;
const EXTRA_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/**
 * Per-artifact configuration of PyPI artifacts. Every key is optional; what
 * is left out falls back to `backpack.processors.pypi` and then to the
 * documented default, at discovery time.
 *
 * @public
 */
export const pypiArtifactConfigSchema = z.strictObject({
  index: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .optional()
    .describe(
      'Index base URL for this artifact; must be the configured index or one of allowedIndexes',
    ),
  pythonVersions: z
    .array(z.string().regex(PYTHON_VERSION, 'must look like 3.12 or 3.12.1'))
    .min(1)
    .optional()
    .describe(
      'CPython versions to mirror wheels for, e.g. ["3.11", "3.12"] (default: every wheel; markers are evaluated for 3.8 to 3.13)',
    ),
  platforms: z
    .array(z.string().regex(PLATFORM_TAG, 'must be a wheel platform tag'))
    .min(1)
    .optional()
    .describe(
      'Wheel platform tags to mirror, e.g. ["manylinux_2_17_x86_64", "win_amd64", "macosx_11_0_arm64"]; linux_<arch> stands for every Linux wheel of that architecture (default: every wheel; markers are evaluated for Linux, Windows and macOS on x86_64 and arm64)',
    ),
  extras: z
    .array(z.string().regex(EXTRA_NAME, 'must be an extra name'))
    .optional()
    .describe('Extras of this project whose dependencies are mirrored too (default none)'),
  includeSdist: z.boolean().optional().describe('Mirror source distributions (default true)'),
  includeYanked: z.boolean().optional().describe('Mirror yanked files (default false)'),
});

/**
 * Per-artifact configuration of PyPI artifacts, as parsed.
 *
 * @public
 */
export type PypiArtifactConfig = z.infer<typeof pypiArtifactConfigSchema>;

/** The processor-wide settings from `backpack.processors.pypi`. */
export interface PypiProcessorSettings {
  /** `index`, and the `allowedIndexes` an artifact's `index` may name. */
  index: ConfiguredUpstream;
  /**
   * How indexes are read: `json`, PyPI's JSON API (`/pypi/<name>/json`), or
   * `simple`, the simple API's JSON form (PEP 691) with PEP 658 metadata.
   */
  api: 'json' | 'simple';
  /** Hosts, besides the indexes', that files are downloaded from. */
  fileHosts: string[];
  /** `operator` when the operator named the file hosts; pypi.org's own is a public-only `default`. */
  fileHostTrust: HostTrust;
  pythonVersions?: string[];
  platforms?: string[];
  includeSdist: boolean;
  includeYanked: boolean;
}

/** Reads `backpack.processors.pypi`; every key is optional. */
export function readPypiProcessorSettings(config?: Config): PypiProcessorSettings {
  const index = readConfiguredUpstream(config, {
    prefix: 'backpack.processors.pypi',
    field: 'index',
    allowedKey: 'allowedIndexes',
    defaultUrl: DEFAULT_PYPI_INDEX,
  });
  const indexHosts = [index.defaultUrl, ...index.allowed].map(url => new URL(url).host);
  const configuredFileHosts = config?.getOptionalStringArray('fileHosts');
  const fileHosts =
    configuredFileHosts ?? (indexHosts.includes('pypi.org') ? [PYPI_FILE_HOST] : []);
  const targets = pypiArtifactConfigSchema.pick({ pythonVersions: true, platforms: true });
  const parsed = parseInput(
    targets,
    {
      pythonVersions: config?.getOptionalStringArray('pythonVersions'),
      platforms: config?.getOptionalStringArray('platforms'),
    },
    { path: ['backpack', 'processors', 'pypi'], label: 'backpack.processors.pypi' },
  );
  const api = config?.getOptionalString('api') ?? 'json';
  if (api !== 'json' && api !== 'simple') {
    throw new InputError(`backpack.processors.pypi.api: must be 'json' or 'simple', not '${api}'`);
  }
  return {
    index,
    api,
    fileHosts,
    fileHostTrust: configuredFileHosts ? 'operator' : 'default',
    pythonVersions: parsed.pythonVersions,
    platforms: parsed.platforms,
    includeSdist: config?.getOptionalBoolean('includeSdist') ?? true,
    includeYanked: config?.getOptionalBoolean('includeYanked') ?? false,
  };
}
