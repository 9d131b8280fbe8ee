import { createHash } from 'node:crypto';
import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { canonicalJson } from '../../lib/canonicalJson';
import { parseArtifactConfig } from '../../lib/validation';
import { BoundedCache } from '../../views/BoundedCache';
import { DEFAULT_PARSING_LIMITS, ParsingLimits } from '../../upstream/limits';
import { redactUrl } from '../../upstream/urls';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import {
  BackpackProcessor,
  DiscoverOptions,
  DiscoveryResult,
  DiscoveryValidators,
  ProcessorFile,
  ProcessorVersion,
} from '../types';
import { readChartFiles } from './chartArchive';
import { chartDependencies } from './chartDependencies';
import { annotationImages, FoundImage, imageDependencies, valuesImages } from './chartImages';
import {
  HelmArtifactConfig,
  helmArtifactConfigSchema,
  HelmRepository,
  readHelmProcessorSettings,
  resolveHelmRepository,
} from './helmConfig';
import { CHART_NAME, chartIndexEntries, HelmIndexEntry } from './helmIndex';
import { HelmIndexReader } from './HelmIndexReader';
import { chartArchiveName, chartFilePath } from './helmPaths';
import { helmVersionScheme } from './helmVersionScheme';
import { asMap, asString } from './helmYaml';
import { OciTargets } from './ociTargets';

/** Charts' index entries kept between a discovery and the descriptions of its versions. */
const INDEX_CACHE_ENTRIES = 2000;
/** Described versions kept: a chart version's archive, pinned by its digest, never changes. */
const VERSION_CACHE_ENTRIES = 5000;

/**
 * Options for {@link createHelmProcessor}.
 *
 * @public
 */
export interface HelmProcessorOptions {
  /** The `backpack.processors.helm` config block. */
  config?: Config;
  /** The `backpack.processors.oci` config block: image registries map to its aliases. */
  ociConfig?: Config;
  upstream: UpstreamClient;
  /** Parsing limits (`backpack.limits`); documented defaults when left out. */
  limits?: ParsingLimits;
}

/**
 * Creates the Helm processor: charts of the chart repositories configured
 * under `backpack.processors.helm.repositories`. Versions come from the
 * repository's `index.yaml`; a version's files are its archive (verified
 * by the index digest) and its provenance file when there is one; its
 * dependencies are the Chart.yaml dependencies (charts of configured
 * repositories, OCI charts as `oci` artifacts) and the images the chart
 * names (annotations, values.yaml, the artifact's `images`) as `oci`
 * artifacts. Reading Chart.yaml and values.yaml needs the archive, so
 * versions are described on demand, only those a run selects.
 *
 * @public
 */
export function createHelmProcessor(options: HelmProcessorOptions): BackpackProcessor {
  const { upstream } = options;
  const limits = options.limits ?? DEFAULT_PARSING_LIMITS;
  const settings = readHelmProcessorSettings(options.config);
  const { repositories } = settings;
  const targets = new OciTargets(options.ociConfig);
  const hosts = [...new Set([...repositories.values()].map(r => new URL(r.url).host))];
  upstream.policy.allow(hosts, 'operator');
  const indexCache = new BoundedCache<string, HelmIndexEntry[]>(INDEX_CACHE_ENTRIES);
  const versionCache = new BoundedCache<string, ProcessorVersion>(VERSION_CACHE_ENTRIES);
  const indexes = new HelmIndexReader(upstream);

  function checkId(id: string): string {
    if (!CHART_NAME.test(id)) {
      throw new InputError(`id: '${id}' is not a valid chart name (letters, digits, '.', '_' and '-', at most 128)`);
    }
    return id;
  }

  function configOf(config: JsonObject): { parsed: HelmArtifactConfig; repository: HelmRepository } {
    const parsed = parseArtifactConfig(helmArtifactConfigSchema, config);
    // Checked again here: stored and inherited configs bypass the API.
    return { parsed, repository: resolveHelmRepository(parsed.repository, repositories) };
  }

  /** The index entries of a chart, read anew (with validators) or from a recent read of its repository. */
  async function readEntries(
    repository: HelmRepository,
    chart: string,
    discoverOptions: DiscoverOptions,
  ): Promise<{ notModified: true } | { notModified: false; entries: HelmIndexEntry[]; validators?: DiscoveryValidators }> {
    const answer = await indexes.read(repository, discoverOptions);
    if (answer.notModified) return answer;
    const warn = (message: string) => discoverOptions.logger.warn(`${repository.alias}: ${message}`);
    const entries = chartIndexEntries(answer.index, chart, repository.url, warn);
    if (!entries) {
      throw new NotFoundError(`chart '${chart}' is not in repository '${repository.alias}' (${redactUrl(repository.url)})`);
    }
    indexCache.set(`${repository.url}\0${chart}`, entries);
    return { notModified: false, entries, validators: answer.validators };
  }

  async function discover(request: { id: string; config: JsonObject }, discoverOptions: DiscoverOptions): Promise<DiscoveryResult> {
    const chart = checkId(request.id);
    const { repository } = configOf(request.config);
    const answer = await readEntries(repository, chart, discoverOptions);
    if (answer.notModified) return { notModified: true };
    return {
      notModified: false,
      versions: answer.entries.map(entry => ({
        version: entry.version,
        ...(entry.created ? { publishedAt: entry.created } : {}),
        files: [],
        dependencies: [],
      })),
      validators: answer.validators,
    };
  }

  async function describeVersion(
    request: { id: string; config: JsonObject; version: string },
    describeOptions: DiscoverOptions,
  ): Promise<ProcessorVersion> {
    const chart = checkId(request.id);
    const { parsed, repository } = configOf(request.config);
    const { signal, logger } = describeOptions;
    let entries = indexCache.get(`${repository.url}\0${chart}`);
    if (!entries) {
      const answer = await readEntries(repository, chart, { logger, signal });
      entries = answer.notModified ? [] : answer.entries;
    }
    const entry = entries.find(e => e.version === request.version);
    if (!entry) throw new NotFoundError(`chart '${chart}' has no version ${request.version} in repository '${repository.alias}'`);
    const key = canonicalJson([repository.url, chart, entry.version, entry.url, entry.digest ?? null, parsed.images ?? []]);
    const cached = versionCache.get(key);
    if (cached) return cached;

    const archive = await upstream.read(entry.url, { signal });
    if (archive.status !== 200) throw new Error(`GET ${redactUrl(archive.url)} answered ${archive.status}`);
    if (archive.body.length > settings.maxChartBytes) {
      throw new Error(`the chart archive has more than ${settings.maxChartBytes} bytes (backpack.processors.helm.maxChartBytes)`);
    }
    const sha256 = createHash('sha256').update(archive.body).digest('hex');
    if (entry.digest && entry.digest !== sha256) {
      throw new Error(`${redactUrl(entry.url)}: the archive's sha256 ${sha256} is not the index digest ${entry.digest}`);
    }
    const files = await readChartFiles(
      archive.body,
      chart,
      { ...limits.tarball, maxFileBytes: settings.maxChartFileBytes },
      { subcharts: true },
    );
    const declaredName = asString(files.chart.name);
    if (declaredName !== chart) {
      logger.warn(`${chart} ${entry.version}: Chart.yaml names the chart '${String(declaredName).slice(0, 100)}'`);
    }
    const name = chartArchiveName(chart, entry.version);
    const result: ProcessorFile[] = [
      {
        name,
        uri: entry.url,
        path: chartFilePath(chart, entry.version, name),
        // Without an index digest the archive is collected unverified (and marked so).
        ...(entry.digest ? { integrity: { algorithm: 'sha256' as const, digest: entry.digest } } : {}),
        size: archive.body.length,
      },
    ];
    const provenance = await upstream.read(`${entry.url}.prov`, { signal });
    if (provenance.status === 200) {
      // Its bytes are in hand: pinned to what was read next to the verified archive.
      result.push({
        name: `${name}.prov`,
        uri: `${entry.url}.prov`,
        path: chartFilePath(chart, entry.version, `${name}.prov`),
        integrity: { algorithm: 'sha256', digest: createHash('sha256').update(provenance.body).digest('hex') },
        size: provenance.body.length,
      });
    }

    const maxNodes = settings.maxValuesNodes;
    const images: FoundImage[] = [
      ...annotationImages(asMap(files.chart.annotations)),
      ...valuesImages(files.values, { appVersion: asString(files.chart.appVersion), maxNodes }),
      // Subcharts in the archive deploy with the chart: their images are its own.
      ...files.subcharts.flatMap(sub => [
        ...annotationImages(asMap(sub.chart?.annotations), sub.path),
        ...valuesImages(sub.values, { appVersion: asString(sub.chart?.appVersion), maxNodes, file: `${sub.path}/values.yaml` }),
      ]),
      ...(parsed.images ?? []).map(reference => ({ reference, source: 'config images' })),
    ];
    const described: ProcessorVersion = {
      version: entry.version,
      ...(entry.created ? { publishedAt: entry.created } : {}),
      files: result,
      dependencies: [
        ...chartDependencies(files.chart, repositories, targets),
        ...imageDependencies(images, targets),
      ],
    };
    versionCache.set(key, described);
    return described;
  }

  return {
    name: 'helm',
    description: `Helm charts from ${[...repositories.keys()].join(', ') || 'no repository yet (backpack.processors.helm.repositories)'}, with their subcharts and images`,
    configSchema: helmArtifactConfigSchema.superRefine((value, ctx) => {
      try {
        resolveHelmRepository(value.repository, repositories);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['repository'], message: (error as Error).message.replace(/^config\.repository: /, '') });
      }
      for (const [i, image] of (value.images ?? []).entries()) {
        const target = targets.image(image);
        if (!target.ok) ctx.addIssue({ code: 'custom', path: ['images', i], message: target.reason });
      }
    }) as unknown as typeof helmArtifactConfigSchema,
    versions: helmVersionScheme,
    normalizeId: checkId,
    mergeConfig: (a, b) => mergeHelmConfig(a, b),
    allowedHosts: () => hosts,
    discover,
    describeVersion,
  };
}

/**
 * Two parents' needs of one chart as one config: the union of their images.
 * A chart has one repository; when two parents name different ones, the
 * first in sort order wins, so the merge stays commutative.
 */
export function mergeHelmConfig(a: JsonObject, b: JsonObject): JsonObject {
  const repositories = [a.repository, b.repository].filter((r): r is string => typeof r === 'string').sort();
  const images = [...new Set([a.images, b.images].flatMap(list => (Array.isArray(list) ? list : [])))]
    .filter((i): i is string => typeof i === 'string')
    .sort();
  return {
    ...(repositories.length ? { repository: repositories[0] } : {}),
    ...(images.length ? { images } : {}),
  };
}
