import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { z } from 'zod';
import { artifactConfigSchema } from '../../lib/validation';
import { ConfiguredUpstream, readConfiguredUpstream, upstreamBaseUrl } from '../../upstream/upstreamBaseUrl';

/** The public module proxy, used when `backpack.processors.go.proxy` is not set. */
export const DEFAULT_GO_PROXY = 'https://proxy.golang.org';

/**
 * Per-artifact configuration of Go modules.
 *
 * @public
 */
export const goArtifactConfigSchema = artifactConfigSchema('go', {
  proxy: z
    .url({ protocol: /^https?$/, error: 'proxy: must be an http(s) URL' })
    .optional()
    .describe('GOPROXY base URL for this module; must be the configured proxy or one of allowedProxies'),
  moduleGraph: z
    .boolean()
    .optional()
    .describe(
      "Load each selected version's module graph and mirror what minimal version selection needs (default true). " +
        'Modules Backpack reaches as dependencies carry false: the graph of the module that reached them chose their versions.',
    ),
});

/**
 * Per-artifact configuration of Go modules, as parsed.
 *
 * @public
 */
export type GoArtifactConfig = z.infer<typeof goArtifactConfigSchema>;

/** The processor-wide settings from `backpack.processors.go`. */
export interface GoProcessorSettings {
  /** `proxy`, and the `allowedProxies` an artifact's `proxy` may name. */
  proxy: ConfiguredUpstream;
  /** The checksum database (`sumdb`), when one is configured. */
  sumdb?: string;
  /** go.mod files one module graph may read. */
  maxGraphModules: number;
  /** Bytes of a module zip once unzipped. */
  maxUnzippedBytes: number;
  /** Files in a module zip. */
  maxZipFiles: number;
}

function positiveInteger(config: Config | undefined, key: string, fallback: number): number {
  const value = config?.getOptionalNumber(key);
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InputError(`backpack.processors.go.${key}: must be a positive integer`);
  }
  return value;
}

/** Reads `backpack.processors.go`; every key is optional. */
export function readGoProcessorSettings(config?: Config): GoProcessorSettings {
  const sumdb = config?.getOptionalString('sumdb');
  return {
    proxy: readConfiguredUpstream(config, {
      prefix: 'backpack.processors.go',
      field: 'proxy',
      allowedKey: 'allowedProxies',
      defaultUrl: DEFAULT_GO_PROXY,
    }),
    sumdb: sumdb === undefined ? undefined : upstreamBaseUrl(sumdb, 'backpack.processors.go.sumdb'),
    maxGraphModules: positiveInteger(config, 'maxGraphModules', 10_000),
    // The go command's own bound on an extracted module.
    maxUnzippedBytes: positiveInteger(config, 'maxUnzippedBytes', 500 * 1024 * 1024),
    maxZipFiles: positiveInteger(config, 'maxZipFiles', 100_000),
  };
}
