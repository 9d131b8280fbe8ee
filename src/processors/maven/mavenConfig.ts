import { Config } from '@backstage/config';
import { z } from 'zod';
import { ConfiguredUpstream, readConfiguredUpstream } from '../../upstream/upstreamBaseUrl';

/** Maven Central, used when `backpack.processors.maven.repository` is not set. */
export const DEFAULT_MAVEN_REPOSITORY = 'https://repo.maven.apache.org/maven2';

/**
 * Per-artifact configuration of Maven artifacts. Every key is optional; what
 * is left out falls back to `backpack.processors.maven` at discovery time.
 *
 * @public
 */
export const mavenArtifactConfigSchema = z.strictObject({
  repository: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .optional()
    .describe(
      'Repository base URL for this artifact; must be the configured repository or one of allowedRepositories',
    ),
  classifiers: z
    .array(z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'must be a Maven classifier'))
    .optional()
    .describe(
      'Classified jars to mirror besides the main artifact, e.g. ["sources", "linux-x86_64"] (default none; dependencies declared with a classifier get it)',
    ),
});

/**
 * Per-artifact configuration of Maven artifacts, as parsed.
 *
 * @public
 */
export type MavenArtifactConfig = z.infer<typeof mavenArtifactConfigSchema>;

/** The processor-wide settings from `backpack.processors.maven`. */
export interface MavenProcessorSettings {
  /** `repository`, and the `allowedRepositories` an artifact's `repository` may name. */
  repository: ConfiguredUpstream;
}

/** Reads `backpack.processors.maven`; every key is optional. */
export function readMavenProcessorSettings(config?: Config): MavenProcessorSettings {
  return {
    repository: readConfiguredUpstream(config, {
      prefix: 'backpack.processors.maven',
      field: 'repository',
      allowedKey: 'allowedRepositories',
      defaultUrl: DEFAULT_MAVEN_REPOSITORY,
    }),
  };
}
