import { Config } from '@backstage/config';
import { z } from 'zod';
import { artifactConfigSchema, parseInput } from '../../lib/validation';
import { ConfiguredUpstream, readConfiguredUpstream } from '../../upstream/upstreamBaseUrl';

/** crates.io's sparse index, used when `backpack.processors.cargo.index` is not set. */
export const DEFAULT_CARGO_INDEX = 'https://index.crates.io';

/** Where crates.io's `config.json` points `dl`; allowed with the default index. */
export const CRATES_IO_DOWNLOAD_HOST = 'static.crates.io';

const FEATURE = /^[A-Za-z0-9_][A-Za-z0-9_+.-]*(\??\/[A-Za-z0-9_][A-Za-z0-9_+.-]*)?$|^dep:[A-Za-z][A-Za-z0-9_-]*$/;
/** Whether a string may be requested as a feature (`name`, `dep:name`, `name/feature`, `name?/feature`). */
export function isFeatureRequest(value: string): boolean {
  return value.length <= 256 && FEATURE.test(value);
}

const TRIPLE = /^[A-Za-z0-9_.]+(-[A-Za-z0-9_.]+){1,4}$/;
const VERSION = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$/;

/**
 * Per-artifact configuration of crates. What a dependent asks of a
 * dependency (its features) arrives here along the edge; what is left out
 * falls back to `backpack.processors.cargo` and then to the default.
 *
 * @public
 */
export const cargoArtifactConfigSchema = artifactConfigSchema('cargo', {
  index: z
    .url({ protocol: /^https?$/, error: 'index: must be an http(s) URL' })
    .optional()
    .describe('Sparse index URL for this crate; must be the configured index or one of allowedIndexes'),
  features: z
    .array(z.string().max(256).regex(FEATURE, 'must be a feature name'))
    .max(10_000)
    .optional()
    .describe('Features to enable (default none beyond the default features)'),
  defaultFeatures: z
    .boolean()
    .optional()
    .describe('Enable the crate\'s `default` feature (default true)'),
  targets: z
    .array(z.string().regex(TRIPLE, 'must be a target triple, e.g. x86_64-unknown-linux-gnu'))
    .min(1)
    .optional()
    .describe(
      'Target triples whose target-specific dependencies are mirrored (default: every target, which `cargo generate-lockfile` needs)',
    ),
  includeDev: z
    .boolean()
    .optional()
    .describe("Follow this crate's dev-dependencies too (default false; not passed on to dependencies)"),
  yanked: z
    .array(z.string().regex(VERSION, 'must be a version'))
    .max(1000)
    .optional()
    .describe('Yanked versions to mirror anyway; set for dependencies that pin one with `=`'),
});

/**
 * Per-artifact configuration of crates, as parsed.
 *
 * @public
 */
export type CargoArtifactConfig = z.infer<typeof cargoArtifactConfigSchema>;

/** The processor-wide settings from `backpack.processors.cargo`. */
export interface CargoProcessorSettings {
  /** `index`, and the `allowedIndexes` an artifact's `index` may name. */
  index: ConfiguredUpstream;
  targets?: string[];
}

/** Reads `backpack.processors.cargo`; every key is optional. */
export function readCargoProcessorSettings(config?: Config): CargoProcessorSettings {
  const index = readConfiguredUpstream(config, {
    prefix: 'backpack.processors.cargo',
    field: 'index',
    allowedKey: 'allowedIndexes',
    defaultUrl: DEFAULT_CARGO_INDEX,
  });
  const parsed = parseInput(
    cargoArtifactConfigSchema.pick({ targets: true }),
    { targets: config?.getOptionalStringArray('targets') },
    { path: ['backpack', 'processors', 'cargo'], label: 'backpack.processors.cargo' },
  );
  return {
    index,
    targets: parsed.targets,
  };
}
