import { Config } from '@backstage/config';
import { z } from 'zod';
import { artifactConfigSchema } from '../../lib/validation';
import { ConfiguredUpstream, readConfiguredUpstream } from '../../upstream/upstreamBaseUrl';

/** The public registry, used when `backpack.processors.npm.registry` is not set. */
export const DEFAULT_NPM_REGISTRY = 'https://registry.npmjs.org';

/**
 * Per-artifact configuration of npm artifacts.
 *
 * @public
 */
export const npmArtifactConfigSchema = artifactConfigSchema('npm', {
  registry: z
    .url({ protocol: /^https?$/, error: 'registry: must be an http(s) URL' })
    .optional()
    .describe(
      'Registry base URL for this artifact; must be the configured registry or one of allowedRegistries',
    ),
  includePeer: z
    .boolean()
    .optional()
    .describe('Follow non-optional peerDependencies (default true)'),
  includeOptional: z
    .boolean()
    .optional()
    .describe('Follow optionalDependencies, e.g. platform binaries (default true)'),
  fullMetadata: z
    .boolean()
    .optional()
    .describe('Fetch the full packument instead of the abbreviated one (default false)'),
});

/**
 * Per-artifact configuration of npm artifacts, as parsed.
 *
 * @public
 */
export type NpmArtifactConfig = z.infer<typeof npmArtifactConfigSchema>;

/** The processor-wide settings from `backpack.processors.npm`. */
export interface NpmProcessorSettings {
  /** `registry`, and the `allowedRegistries` an artifact's `registry` may name. */
  registry: ConfiguredUpstream;
  /** Full packuments for artifacts that do not say (`backpack.processors.npm.fullMetadata`). */
  fullMetadata: boolean;
}

/** Reads `backpack.processors.npm`; every key is optional. */
export function readNpmProcessorSettings(config?: Config): NpmProcessorSettings {
  return {
    registry: readConfiguredUpstream(config, {
      prefix: 'backpack.processors.npm',
      field: 'registry',
      allowedKey: 'allowedRegistries',
      defaultUrl: DEFAULT_NPM_REGISTRY,
    }),
    fullMetadata: config?.getOptionalBoolean('backpack.processors.npm.fullMetadata') ?? false,
  };
}
