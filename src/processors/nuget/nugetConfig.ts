import { Config } from '@backstage/config';
import { z } from 'zod';
import { artifactConfigSchema } from '../../lib/validation';
import { ConfiguredUpstream, readConfiguredUpstream } from '../../upstream/upstreamBaseUrl';
import { DEFAULT_NUGET_FRAMEWORKS, parseTargetFramework } from './nugetFrameworks';

/** nuget.org's v3 service index, used when `backpack.processors.nuget.serviceIndex` is not set. */
export const DEFAULT_NUGET_SERVICE_INDEX = 'https://api.nuget.org/v3/index.json';

const frameworkName = z
  .string()
  .max(64, 'must be at most 64 characters')
  .refine(name => parseTargetFramework(name) !== undefined, {
    message: 'must be a target framework such as net8.0, netstandard2.0 or net48',
  });

/**
 * Per-artifact configuration of NuGet artifacts.
 *
 * @public
 */
export const nugetArtifactConfigSchema = artifactConfigSchema('nuget', {
  frameworks: z
    .array(frameworkName)
    .min(1, 'must name at least one framework')
    .max(32, 'must name at most 32 frameworks')
    .optional()
    .describe(
      'Project target frameworks whose nearest dependency group is followed (default the processor-wide list)',
    ),
});

/**
 * Per-artifact configuration of NuGet artifacts, as parsed.
 *
 * @public
 */
export type NugetArtifactConfig = z.infer<typeof nugetArtifactConfigSchema>;

/** The processor-wide settings from `backpack.processors.nuget`. */
export interface NugetProcessorSettings {
  serviceIndex: ConfiguredUpstream;
  frameworks: string[];
}

/** Reads `backpack.processors.nuget`; every key is optional. */
export function readNugetProcessorSettings(config?: Config): NugetProcessorSettings {
  const frameworks = config?.getOptionalStringArray('frameworks') ?? DEFAULT_NUGET_FRAMEWORKS;
  for (const name of frameworks) {
    if (!parseTargetFramework(name)) {
      throw new Error(
        `backpack.processors.nuget.frameworks: '${name}' is not a target framework such as net8.0, netstandard2.0 or net48`,
      );
    }
  }
  return {
    serviceIndex: readConfiguredUpstream(config, {
      prefix: 'backpack.processors.nuget',
      field: 'serviceIndex',
      allowedKey: 'allowedServiceIndexes',
      defaultUrl: DEFAULT_NUGET_SERVICE_INDEX,
    }),
    frameworks,
  };
}
