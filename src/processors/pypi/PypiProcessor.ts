import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { UpstreamClient } from '../UpstreamClient';
import {
  BackpackProcessor,
  DiscoverOptions,
  DiscoveryResult,
  ProcessorVersion,
} from '../types';
import { PypiJsonFile, selectDistributionFiles } from './distributionFiles';
import { isValidPypiName, normalizePypiName } from './normalizeName';
import { pep440VersionScheme } from './Pep440VersionScheme';
import {
  parsePypiArtifactConfig,
  PypiArtifactConfig,
  pypiArtifactConfigSchema,
  readPypiProcessorSettings,
} from './pypiConfig';
import { dependenciesFromRequiresDist } from './requiresDist';

/** The parts of PyPI's JSON API (`/pypi/<name>/json`) Backpack reads. */
interface PypiProjectJson {
  info?: { version?: string; requires_dist?: string[] | null };
  releases?: Record<string, PypiJsonFile[]>;
}

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
 * Creates the PyPI processor: projects from an index's JSON API, the wheels
 * for the configured targets and the source distributions of each release,
 * and `Requires-Dist` with markers evaluated for the targets and extras.
 *
 * @public
 */
export function createPypiProcessor(options: PypiProcessorOptions): BackpackProcessor {
  const { upstream } = options;
  const settings = readPypiProcessorSettings(options.config);
  const requiresDistCache = new Map<string, string[]>();

  function indexFor(config: PypiArtifactConfig): string {
    if (!config.index) return settings.index;
    const index = config.index.replace(/\/+$/, '');
    // An artifact must not point the backend at arbitrary hosts.
    if (index !== settings.index && !settings.allowedIndexes.includes(index)) {
      throw new InputError(
        `config.index: '${config.index}' is not an allowed index (configure backpack.processors.pypi.allowedIndexes)`,
      );
    }
    return index;
  }

  async function fetchRequiresDist(
    index: string,
    name: string,
    version: string,
    discoverOptions: DiscoverOptions,
  ): Promise<string[]> {
    const key = `${index} ${name} ${version}`;
    const cached = requiresDistCache.get(key);
    if (cached) return cached;
    const url = `${index}/pypi/${encodeURIComponent(name)}/${encodeURIComponent(version)}/json`;
    const { response, json } = await upstream.getJson<PypiProjectJson>(url, {
      signal: discoverOptions.signal,
    });
    if (response.status === 404) {
      discoverOptions.logger.warn(`${url} not found; ${name} ${version} gets no dependencies`);
      return [];
    }
    if (!json) throw new Error(`GET ${url} answered ${response.status}`);
    const requiresDist = json.info?.requires_dist ?? [];
    if (requiresDistCache.size >= REQUIRES_DIST_CACHE_SIZE) {
      requiresDistCache.delete(requiresDistCache.keys().next().value!);
    }
    requiresDistCache.set(key, requiresDist);
    return requiresDist;
  }

  async function discover(
    request: { id: string; config: JsonObject },
    discoverOptions: DiscoverOptions,
  ): Promise<DiscoveryResult> {
    const id = normalizeId(request.id);
    const config = parsePypiArtifactConfig(request.config);
    const index = indexFor(config);
    const pythonVersions = config.pythonVersions ?? settings.pythonVersions;
    const platforms = config.platforms ?? settings.platforms;
    const includeSdist = config.includeSdist ?? settings.includeSdist;
    const includeYanked = config.includeYanked ?? settings.includeYanked;

    const headers: Record<string, string> = { accept: 'application/json' };
    if (discoverOptions.validators?.etag || discoverOptions.validators?.lastModified) {
      // fetch() sends `Cache-Control: no-cache` with conditional requests
      // unless told otherwise, and caches honouring it never answer 304.
      headers['cache-control'] = 'max-age=0';
    }
    const response = await upstream.get(`${index}/pypi/${encodeURIComponent(id)}/json`, {
      headers,
      validators: discoverOptions.validators,
      signal: discoverOptions.signal,
    });
    if (response.notModified) return { notModified: true };
    if (response.status === 404) {
      throw new NotFoundError(`Python project '${id}' not found at ${index}`);
    }
    if (response.status !== 200) {
      throw new Error(`GET ${response.url} answered ${response.status}`);
    }
    let project: PypiProjectJson;
    try {
      project = JSON.parse(response.body.toString('utf8'));
    } catch (error) {
      throw new Error(`Python project '${id}' at ${index}: malformed JSON: ${error}`);
    }

    // Dependencies inherit what changes how they are fetched and walked.
    const inheritedConfig: JsonObject = {};
    if (config.index) inheritedConfig.index = config.index;
    if (config.pythonVersions) inheritedConfig.pythonVersions = config.pythonVersions;
    if (config.platforms) inheritedConfig.platforms = config.platforms;
    if (config.includeSdist !== undefined) inheritedConfig.includeSdist = config.includeSdist;
    if (config.includeYanked !== undefined) inheritedConfig.includeYanked = config.includeYanked;

    const latest = project.info?.version;
    const releases = Object.entries(project.releases ?? {});
    const versions = await Promise.all(
      releases.map(async ([version, files]): Promise<ProcessorVersion | undefined> => {
        const selected = selectDistributionFiles(files ?? [], {
          pythonVersions,
          platforms,
          includeSdist,
          includeYanked,
          baseUrl: response.url,
        });
        // A release with nothing installable for the targets is left out, as
        // pip would skip it and take an older one.
        if (selected.length === 0) return undefined;
        // The project document only carries the latest release's metadata.
        const requiresDist =
          version === latest && project.info?.requires_dist !== undefined
            ? project.info.requires_dist ?? []
            : await fetchRequiresDist(index, id, version, discoverOptions);
        const uploaded = (files ?? [])
          .map(file => file.upload_time_iso_8601)
          .filter((time): time is string => typeof time === 'string')
          .sort();
        return {
          version,
          ...(uploaded.length ? { publishedAt: uploaded[0] } : {}),
          files: selected,
          dependencies: dependenciesFromRequiresDist(requiresDist, {
            project: id,
            extras: config.extras ?? [],
            pythonVersions,
            platforms,
            inheritedConfig,
            onInvalid: (line, reason) =>
              discoverOptions.logger.warn(`${id} ${version}: skipping Requires-Dist '${line}': ${reason}`),
          }),
        };
      }),
    );

    return {
      notModified: false,
      versions: versions.filter((v): v is ProcessorVersion => v !== undefined),
      ...(latest ? { tags: { latest } } : {}),
      validators: response.validators,
    };
  }

  const hosts = [settings.index, ...settings.allowedIndexes].map(url => new URL(url).host);
  return {
    name: 'pypi',
    description: `Python packages from ${settings.index}, with their dependency closures`,
    configSchema: pypiArtifactConfigSchema,
    versions: pep440VersionScheme,
    normalizeId,
    allowedHosts: () => [...new Set([...hosts, ...settings.fileHosts])],
    discover,
  };
}
