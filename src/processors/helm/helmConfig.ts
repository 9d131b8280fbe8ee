import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { z } from 'zod';
import { findAllowedUpstream, upstreamBaseUrl } from '../../upstream/upstreamBaseUrl';

/** A chart repository under its alias, the `<alias>` of the Helm view's paths. */
export interface HelmRepository {
  alias: string;
  /** Base URL of the repository, without trailing slashes: `index.yaml` lives under it. */
  url: string;
}

/** The processor-wide settings from `backpack.processors.helm`. */
export interface HelmProcessorSettings {
  repositories: Map<string, HelmRepository>;
  /** Largest chart archive read for its Chart.yaml and values.yaml, in bytes. */
  maxChartBytes: number;
  /** Largest Chart.yaml or values.yaml read out of a chart, in bytes. */
  maxChartFileBytes: number;
  /** Nodes of values.yaml looked at for image references. */
  maxValuesNodes: number;
}

/** An alias: one lower-case path segment, so it can name a view path and a bundle folder. */
const ALIAS = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

/** Folder names of the view and the bundle that no repository may take. */
export const RESERVED_ALIASES = new Set(['charts']);

/**
 * Per-artifact configuration of Helm charts.
 *
 * @public
 */
export const helmArtifactConfigSchema = z.strictObject({
  repository: z
    .string()
    .min(1)
    .max(2048)
    .describe(
      'The chart repository: an alias of backpack.processors.helm.repositories or the URL of one of them, or oci://<registry>/<path> of a registry of backpack.processors.oci.registries',
    ),
  images: z
    .array(z.string().min(1).max(1024))
    .max(1000)
    .optional()
    .describe(
      'Images the chart deploys that its annotations and values.yaml do not name, e.g. ["docker.io/library/nginx:1.27"]',
    ),
});

/**
 * Per-artifact configuration of Helm charts, as parsed.
 *
 * @public
 */
export type HelmArtifactConfig = z.infer<typeof helmArtifactConfigSchema>;

function positiveInteger(config: Config | undefined, key: string, fallback: number): number {
  const value = config?.getOptionalNumber(key);
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InputError(`backpack.processors.helm.${key}: must be a positive integer`);
  }
  return value;
}

/**
 * Reads `backpack.processors.helm`. A repository's alias is its config key,
 * or `alias` when set (config keys cannot hold dots).
 */
export function readHelmProcessorSettings(config?: Config): HelmProcessorSettings {
  const repositories = new Map<string, HelmRepository>();
  const block = config?.getOptionalConfig('repositories');
  for (const name of block?.keys() ?? []) {
    const key = `backpack.processors.helm.repositories.${name}`;
    const entry = block!.getConfig(name);
    const alias = entry.getOptionalString('alias') ?? name;
    if (!ALIAS.test(alias) || RESERVED_ALIASES.has(alias)) {
      throw new InputError(
        `${key}: the alias '${alias}' must be lower-case letters, digits, '.', '_' or '-' (at most 64), and not ${[...RESERVED_ALIASES].join(', ')}`,
      );
    }
    const url = upstreamBaseUrl(entry.getString('url'), `${key}.url`);
    if (new URL(url).search || new URL(url).hash) throw new InputError(`${key}.url: must not have a query or fragment`);
    if (repositories.has(alias)) throw new InputError(`${key}: the alias '${alias}' is configured twice`);
    repositories.set(alias, { alias, url });
  }
  return {
    repositories,
    maxChartBytes: positiveInteger(config, 'maxChartBytes', 32 * 1024 * 1024),
    maxChartFileBytes: positiveInteger(config, 'maxChartFileBytes', 4 * 1024 * 1024),
    maxValuesNodes: positiveInteger(config, 'maxValuesNodes', 100_000),
  };
}

/**
 * The configured repository a `repository` value names: an alias, or the
 * URL of a configured repository in any spelling (trailing slashes). An
 * InputError naming `config.repository` otherwise, so that no artifact
 * points the backend at a repository the operator did not configure.
 */
export function resolveHelmRepository(
  value: string,
  repositories: ReadonlyMap<string, HelmRepository>,
): HelmRepository {
  const byAlias = repositories.get(value);
  if (byAlias) return byAlias;
  if (/^https?:\/\//i.test(value)) {
    const urls = [...repositories.values()].map(r => r.url);
    const found = findAllowedUpstream(value, urls);
    const repository = found && [...repositories.values()].find(r => r.url === found);
    if (repository) return repository;
  }
  const known = [...repositories.keys()];
  throw new InputError(
    `config.repository: '${value.slice(0, 200)}' is not a configured chart repository (backpack.processors.helm.repositories${known.length ? `: ${known.join(', ')}` : ' is empty'})`,
  );
}
