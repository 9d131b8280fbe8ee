import { Config } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import { parseArtifactConfig } from '../../lib/validation';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import {
  allowConfiguredUpstream,
  allowedUpstreamOverride,
  findAllowedUpstream,
  restrictUpstreamOverride,
} from '../../upstream/upstreamBaseUrl';
import {
  BackpackProcessor,
  DiscoverOptions,
  DiscoveryResult,
  ProcessorDependency,
  ProcessorVersion,
} from '../types';
import {
  cargoArtifactConfigSchema,
  CRATES_IO_DOWNLOAD_HOST,
  DEFAULT_CARGO_INDEX,
  isFeatureRequest,
  readCargoProcessorSettings,
} from './cargoConfig';
import { activeDependencies } from './cargoFeatures';
import { crateDownloadUrl, IndexDependency, IndexLine, normalizeCrateName, parseIndexFile } from './cargoIndex';
import { targetApplies } from './cargoTargets';
import { cargoVersionScheme, pinnedCargoVersion } from './cargoVersionScheme';
import { mergeCargoConfig } from './mergeCargoConfig';
import { SparseRegistryReader } from './sparseRegistry';

/**
 * Options for {@link createCargoProcessor}.
 *
 * @public
 */
export interface CargoProcessorOptions {
  /** The `backpack.processors.cargo` config block. */
  config?: Config;
  upstream: UpstreamClient;
}

/** What a dependency's `registry` names when it is crates.io, from other registries' lines. */
const CRATES_IO_GIT_INDEX = 'https://github.com/rust-lang/crates.io-index';

/**
 * One edge per crate and requirement, as Backpack stores them: a crate
 * declared twice with one requirement (a normal and a build dependency, or
 * once more for a target with other features) gets the union of what the
 * declarations ask, as Cargo unifies them.
 */
function unifyDuplicates(dependencies: ProcessorDependency[]): ProcessorDependency[] {
  const byKey = new Map<string, ProcessorDependency>();
  for (const dependency of dependencies) {
    const key = `${dependency.id.toLowerCase()}\0${dependency.range}`;
    const seen = byKey.get(key);
    byKey.set(
      key,
      seen ? { ...seen, config: mergeCargoConfig(seen.config ?? {}, dependency.config ?? {}) } : dependency,
    );
  }
  return [...byKey.values()];
}

/**
 * Creates the Cargo processor: crates from a sparse registry's index, one
 * `.crate` per version checked against the index's `cksum`, and the
 * dependencies Cargo would resolve: normal and build dependencies, those
 * of the configured targets, optional ones the requested features enable
 * (passing the features each is asked for along the edge), renamed ones
 * under their package name.
 *
 * @public
 */
export function createCargoProcessor(options: CargoProcessorOptions): BackpackProcessor {
  const { upstream } = options;
  const settings = readCargoProcessorSettings(options.config);
  const override = settings.index;
  const hosts = allowConfiguredUpstream(upstream.policy, override);
  const isCratesIo = override.defaultUrl === DEFAULT_CARGO_INDEX;
  if (isCratesIo) upstream.policy.allow([CRATES_IO_DOWNLOAD_HOST], override.configured ? 'operator' : 'default');
  const downloadHosts = options.config?.getOptionalStringArray('downloadHosts') ?? [];
  upstream.policy.allow(downloadHosts, 'operator');
  // A `dl` elsewhere than the index is only ever reached at public
  // addresses, unless the operator lists it (downloadHosts, allowedHosts).
  const registries = new SparseRegistryReader(upstream);

  /** The index a dependency's `registry` names, or undefined when it is not one Backpack reads. */
  function registryOf(dependency: IndexDependency, index: string): string | undefined | null {
    const named = dependency.registry;
    if (named === undefined || named === null) return null;
    const url = named.replace(/^sparse\+/, '');
    if (url === CRATES_IO_GIT_INDEX) {
      return findAllowedUpstream(DEFAULT_CARGO_INDEX, [override.defaultUrl, ...override.allowed]);
    }
    const found = findAllowedUpstream(url, [override.defaultUrl, ...override.allowed]);
    return found === index ? null : found;
  }

  async function discover(
    request: { id: string; config: JsonObject },
    discoverOptions: DiscoverOptions,
  ): Promise<DiscoveryResult> {
    const id = normalizeCrateName(request.id);
    const config = parseArtifactConfig(cargoArtifactConfigSchema, request.config);
    // Checked again here: stored and inherited configs bypass the API.
    const index = allowedUpstreamOverride(config.index, override);
    const { signal, logger } = discoverOptions;
    const targets = config.targets ?? settings.targets;
    // An artifact's own setting, never passed on: only the crate being
    // developed needs its dev-dependencies.
    const includeDev = config.includeDev ?? false;
    const yanked = new Set(config.yanked ?? []);

    const response = await registries.indexFile(index, id, {
      validators: discoverOptions.validators,
      signal,
    });
    if (response.notModified) return { notModified: true };
    const { dl } = await registries.config(index, signal);
    const lines = parseIndexFile(response.body.toString('utf8'), id, message => logger.warn(message));

    const keep = (dependency: IndexDependency) => {
      const kind = dependency.kind ?? 'normal';
      if (kind === 'dev' ? !includeDev : kind !== 'normal' && kind !== 'build') return false;
      return !dependency.target || !targets || targetApplies(dependency.target, targets);
    };

    const edgesOf = ({ record }: IndexLine): ProcessorDependency[] =>
      activeDependencies(
        record,
        { features: config.features ?? [], defaultFeatures: config.defaultFeatures ?? true },
        keep,
      ).map(({ dependency, requested }) => {
        const registry = registryOf(dependency, index);
        // A feature Cargo could not name either would fail the
        // dependency's config check; it is dropped here instead.
        const features = requested.features.filter(feature => {
          const ok = isFeatureRequest(feature);
          if (!ok) logger.warn(`${id}: dropping feature '${feature.slice(0, 64)}' asked of ${dependency.name}`);
          return ok;
        });
        const pinned = pinnedCargoVersion(dependency.req);
        // What changes how the dependency is fetched and walked goes along.
        const dependencyConfig: JsonObject = {
          ...(config.index || registry ? { index: registry ?? index } : {}),
          ...(features.length ? { features } : {}),
          ...(requested.defaultFeatures ? {} : { defaultFeatures: false }),
          ...(targets && config.targets ? { targets } : {}),
          ...(pinned ? { yanked: [pinned] } : {}),
        };
        return {
          processor: 'cargo',
          id: dependency.package ?? dependency.name,
          range: dependency.req,
          kind: 'runtime',
          config: dependencyConfig,
          ...(registry === undefined
            ? { unresolvable: `from a registry Backpack does not read: ${dependency.registry}` }
            : {}),
        };
      });
    const dependenciesOf = (line: IndexLine): ProcessorDependency[] => unifyDuplicates(edgesOf(line));

    const versions: ProcessorVersion[] = [];
    for (const line of lines) {
      const { record } = line;
      if (!cargoVersionScheme.isValidVersion(record.vers)) {
        logger.warn(`${id}: skipping version '${record.vers.slice(0, 64)}': not a SemVer version`);
        continue;
      }
      // Cargo resolves to a yanked version only when pinned with `=`.
      if (record.yanked && !yanked.has(record.vers)) continue;
      const fileName = `${record.name}-${record.vers}.crate`;
      versions.push({
        version: record.vers,
        files: [
          {
            name: fileName,
            uri: crateDownloadUrl(dl, record),
            path: `crates/${record.name}/${fileName}`,
            integrity: { algorithm: 'sha256', digest: record.cksum },
          },
        ],
        dependencies: dependenciesOf(line),
        metadata: line.line,
      });
    }
    return { notModified: false, versions, validators: response.validators };
  }

  return {
    name: 'cargo',
    description: `Rust crates from ${override.defaultUrl}, with the dependencies Cargo resolves`,
    configSchema: restrictUpstreamOverride(cargoArtifactConfigSchema, override),
    versions: cargoVersionScheme,
    normalizeId: normalizeCrateName,
    mergeConfig: mergeCargoConfig,
    allowedHosts: () => [...new Set([...hosts, ...downloadHosts, ...(isCratesIo ? [CRATES_IO_DOWNLOAD_HOST] : [])])],
    discover,
  };
}
