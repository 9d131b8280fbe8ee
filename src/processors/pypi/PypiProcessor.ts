import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { parseArtifactConfig } from '../../lib/validation';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import {
  allowConfiguredUpstream,
  allowedUpstreamOverride,
  restrictUpstreamOverride,
} from '../../upstream/upstreamBaseUrl';
import { redactUrl } from '../../upstream/urls';
import {
  BackpackProcessor,
  DiscoverOptions,
  DiscoveryResult,
  ProcessorVersion,
} from '../types';
import { selectDistributionFiles } from './distributionFiles';
import { readJsonApiProject } from './jsonApi';
import { isValidPypiName, normalizePypiName } from './normalizeName';
import { pep440VersionScheme } from './Pep440VersionScheme';
import {
  PypiArtifactConfig,
  pypiArtifactConfigSchema,
  readPypiProcessorSettings,
} from './pypiConfig';
import { ProjectListing, PypiRelease } from './ProjectListing';
import { ReleaseMetadata } from './coreMetadata';
import { dependenciesFromRequiresDist } from './requiresDist';
import { readSimpleApiProject } from './simpleApi';
import { mergePypiConfig } from './mergePypiConfig';

/**
 * Releases' metadata never changes once uploaded, so `Requires-Dist` read
 * for one discovery serves later ones; bounded to keep memory flat.
 */
const REQUIRES_DIST_CACHE_SIZE = 20_000;

/**
 * Options for {@link createPypiProcessor}.
 *
 * @public
 */
export interface PypiProcessorOptions {
  /** The `backpack.processors.pypi` config block. */
  config?: Config;
  upstream: UpstreamClient;
}

/** The PEP 503 form of a project name; an InputError naming `id` when it is none. */
function normalizeId(id: string): string {
  if (!isValidPypiName(id)) {
    throw new InputError(`id: '${id}' is not a valid Python project name`);
  }
  return normalizePypiName(id);
}

/**
 * Creates the PyPI processor: projects from an index's JSON API (or its
 * PEP 691 simple API, with `api: simple`), the wheels for the configured
 * targets and the source distributions of each release, and `Requires-Dist`
 * with markers evaluated for the targets and extras.
 *
 * @public
 */
export function createPypiProcessor(options: PypiProcessorOptions): BackpackProcessor {
  const { upstream } = options;
  const settings = readPypiProcessorSettings(options.config);
  const readProject = settings.api === 'simple' ? readSimpleApiProject : readJsonApiProject;
  const requiresDistCache = new Map<string, ReleaseMetadata>();
  const override = settings.index;
  const hosts = allowConfiguredUpstream(upstream.policy, override);
  upstream.policy.allow(settings.fileHosts, settings.fileHostTrust);

  function indexFor(config: PypiArtifactConfig): string {
    // Checked again here: stored and inherited configs bypass the API.
    return allowedUpstreamOverride(config.index, override);
  }

  async function requiresDistOf(
    listing: ProjectListing,
    release: PypiRelease,
    cacheKey: string,
    logger: DiscoverOptions['logger'],
  ): Promise<ReleaseMetadata> {
    const cached = requiresDistCache.get(cacheKey);
    if (cached) return cached;
    const requiresDist = await listing.releaseMetadata(release);
    if (!requiresDist) {
      logger.warn(`No metadata for ${cacheKey}; it gets no dependencies`);
      return { requiresDist: [] };
    }
    if (requiresDistCache.size >= REQUIRES_DIST_CACHE_SIZE) {
      requiresDistCache.delete(requiresDistCache.keys().next().value!);
    }
    requiresDistCache.set(cacheKey, requiresDist);
    return requiresDist;
  }

  async function discover(
    request: { id: string; config: JsonObject },
    discoverOptions: DiscoverOptions,
  ): Promise<DiscoveryResult> {
    const id = normalizeId(request.id);
    const config = parseArtifactConfig(pypiArtifactConfigSchema, request.config);
    const index = indexFor(config);
    const { logger, signal } = discoverOptions;
    const pythonVersions = config.pythonVersions ?? settings.pythonVersions;
    const platforms = config.platforms ?? settings.platforms;
    const includeSdist = config.includeSdist ?? settings.includeSdist;
    const includeYanked = config.includeYanked ?? settings.includeYanked;

    const listing = await readProject({
      upstream,
      index,
      id,
      validators: discoverOptions.validators,
      signal,
      warn: message => logger.warn(message),
    });
    if (!listing) throw new NotFoundError(`Python project '${id}' not found at ${redactUrl(index)}`);
    if (listing.notModified) return { notModified: true };

    // Dependencies inherit what changes how they are fetched and walked.
    const inheritedConfig: JsonObject = {};
    if (config.index) inheritedConfig.index = config.index;
    if (config.pythonVersions) inheritedConfig.pythonVersions = config.pythonVersions;
    if (config.platforms) inheritedConfig.platforms = config.platforms;
    if (config.includeSdist !== undefined) inheritedConfig.includeSdist = config.includeSdist;
    if (config.includeYanked !== undefined) inheritedConfig.includeYanked = config.includeYanked;

    const versions = await Promise.all(
      listing.releases.map(async (release): Promise<ProcessorVersion | undefined> => {
        const { version, files } = release;
        const selected = selectDistributionFiles(files, {
          pythonVersions,
          platforms,
          includeSdist,
          includeYanked,
          baseUrl: listing.url,
        });
        // A release with nothing installable for the targets is left out, as
        // pip would skip it and take an older one.
        if (selected.length === 0) return undefined;
        // Released metadata never changes, so it is read once per release.
        const metadata = await requiresDistOf(
          listing,
          release,
          `${index} ${id} ${version}`,
          logger,
        );
        const uploaded = files
          .map(file => file.upload_time_iso_8601)
          .filter((time): time is string => typeof time === 'string')
          .sort();
        // A release whose every file is yanked is yanked (PEP 592).
        const yanked = files.length > 0 && files.every(file => file.yanked);
        const yankedReason = files.find(file => file.yanked_reason)?.yanked_reason;
        return {
          version,
          ...(uploaded.length ? { publishedAt: uploaded[0] } : {}),
          ...(metadata.license ? { license: metadata.license } : {}),
          ...(yanked ? { yanked: yankedReason || (true as const) } : {}),
          files: selected,
          dependencies: dependenciesFromRequiresDist(metadata.requiresDist, {
            project: id,
            extras: config.extras ?? [],
            pythonVersions,
            platforms,
            inheritedConfig,
            onInvalid: (line, reason) =>
              logger.warn(`${id} ${version}: skipping Requires-Dist '${line}': ${reason}`),
          }),
        };
      }),
    );

    return {
      notModified: false,
      versions: versions.filter((v): v is ProcessorVersion => v !== undefined),
      ...(listing.latest ? { tags: { latest: listing.latest } } : {}),
      validators: listing.validators,
    };
  }

  return {
    name: 'pypi',
    description: `Python packages from ${settings.index.defaultUrl}, with their dependency closures`,
    configSchema: restrictUpstreamOverride(pypiArtifactConfigSchema, override),
    versions: pep440VersionScheme,
    normalizeId,
    mergeConfig: mergePypiConfig,
    allowedHosts: () => [...new Set([...hosts, ...settings.fileHosts])],
    discover,
  };
}
