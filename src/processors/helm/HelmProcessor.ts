import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { canonicalJson } from '../../lib/canonicalJson';
import { parseArtifactConfig } from '../../lib/validation';
import { BoundedCache } from '../../views/BoundedCache';
import { DEFAULT_PARSING_LIMITS, ParsingLimits } from '../../upstream/limits';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import {
  BackpackProcessor,
  DiscoverOptions,
  DiscoveryResult,
  ProcessorDependency,
  ProcessorFile,
  ProcessorVersion,
} from '../types';
import { readChartFiles } from './chartArchive';
import { archiveDependencies } from './chartClosure';
import {
  HelmArtifactConfig,
  helmArtifactConfigSchema,
  HelmRepository,
  readHelmProcessorSettings,
  resolveHelmRepository,
} from './helmConfig';
import { CHART_NAME } from './helmIndex';
import { helmVersionScheme } from './helmVersionScheme';
import { asString } from './helmYaml';
import { HttpCharts } from './httpCharts';
import { chartTag, OciChart, OciCharts } from './ociCharts';
import { OciTargets } from './ociTargets';

/** Described versions kept: a chart version's archive, pinned by its digest, never changes. */
const VERSION_CACHE_ENTRIES = 5000;

const OCI_REPOSITORY = /^oci:\/\//i;

/** Where a chart comes from. */
type ChartSource = { repository: HelmRepository; oci?: undefined } | { oci: OciChart; repository?: undefined };

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
 * under `backpack.processors.helm.repositories`, and charts stored in OCI
 * registries (`oci://…`). Versions come from the repository's `index.yaml`
 * (or the OCI repository's tags); a version's files are its archive
 * (verified by the index digest) and its provenance file when there is
 * one, while an OCI chart's bytes are mirrored as the `oci` artifact it
 * depends on. Its other dependencies are the Chart.yaml dependencies and
 * the images the chart names (annotations, values.yaml, carried subcharts,
 * the artifact's `images`) as `oci` artifacts. Reading Chart.yaml and
 * values.yaml needs the archive, so versions are described on demand, only
 * those a run selects.
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
  const http = new HttpCharts(upstream, settings.maxChartBytes);
  const ociCharts = new OciCharts(targets, upstream, settings.maxChartBytes);
  const versionCache = new BoundedCache<string, ProcessorVersion>(VERSION_CACHE_ENTRIES);

  function checkId(id: string): string {
    if (!CHART_NAME.test(id)) {
      throw new InputError(`id: '${id}' is not a valid chart name (letters, digits, '.', '_' and '-', at most 128)`);
    }
    return id;
  }

  /** Where a chart comes from; checked again here, since stored and inherited configs bypass the API. */
  function sourceOf(chart: string, config: JsonObject): { parsed: HelmArtifactConfig } & ChartSource {
    const parsed = parseArtifactConfig(helmArtifactConfigSchema, config);
    if (OCI_REPOSITORY.test(parsed.repository)) return { parsed, oci: ociCharts.chart(parsed.repository, chart) };
    return { parsed, repository: resolveHelmRepository(parsed.repository, repositories) };
  }

  async function discover(request: { id: string; config: JsonObject }, discoverOptions: DiscoverOptions): Promise<DiscoveryResult> {
    const chart = checkId(request.id);
    const source = sourceOf(chart, request.config);
    const listed = (version: string, publishedAt?: string): ProcessorVersion => ({
      version,
      ...(publishedAt ? { publishedAt } : {}),
      files: [],
      dependencies: [],
    });
    if (source.oci) {
      const listing = await ociCharts.versions(source.oci, discoverOptions);
      if (!listing) return { notModified: true };
      return { notModified: false, versions: listing.versions.map(v => listed(v)), validators: listing.validators };
    }
    const answer = await http.listing(source.repository, chart, discoverOptions);
    if (answer.notModified) return { notModified: true };
    return {
      notModified: false,
      versions: answer.entries.map(entry => listed(entry.version, entry.created)),
      validators: answer.validators,
    };
  }

  async function describeVersion(
    request: { id: string; config: JsonObject; version: string },
    describeOptions: DiscoverOptions,
  ): Promise<ProcessorVersion> {
    const chart = checkId(request.id);
    const { version } = request;
    const { parsed, ...source } = sourceOf(chart, request.config);
    const { signal, logger } = describeOptions;
    let key: string;
    let load: () => Promise<{ archive: Buffer; files: ProcessorFile[]; own: ProcessorDependency[]; publishedAt?: string }>;
    if (source.oci) {
      // The chart's bytes are an OCI artifact: the oci processor mirrors them, with the manifest.
      const oci = source.oci;
      const { layer, manifest } = await ociCharts.layerOf(oci, version, signal);
      key = canonicalJson(['oci', oci.id, version, manifest, parsed.images ?? []]);
      load = async () => ({
        archive: await ociCharts.archive(oci, layer, signal),
        files: [],
        own: [{ processor: 'oci', id: oci.id, range: chartTag(version), kind: 'runtime', source: 'the chart, stored as an OCI artifact' }],
      });
    } else {
      const entry = await http.entry(source.repository!, chart, version, describeOptions);
      key = canonicalJson([source.repository!.url, chart, version, entry.url, entry.digest ?? null, parsed.images ?? []]);
      load = async () => {
        const archive = await http.archive(entry, signal);
        return { archive, files: await http.files(chart, entry, archive.length, signal), own: [], publishedAt: entry.created };
      };
    }
    const cached = versionCache.get(key);
    if (cached) return cached;

    const { archive, files, own, publishedAt } = await load();
    const chartFiles = await readChartFiles(
      archive,
      chart,
      { ...limits.tarball, maxFileBytes: settings.maxChartFileBytes },
      { subcharts: true },
    );
    const declaredName = asString(chartFiles.chart.name);
    if (declaredName !== chart) {
      logger.warn(`${chart} ${version}: Chart.yaml names the chart '${String(declaredName).slice(0, 100)}'`);
    }
    const described: ProcessorVersion = {
      version,
      ...(publishedAt ? { publishedAt } : {}),
      files,
      dependencies: [
        ...own,
        ...archiveDependencies(chartFiles, {
          configImages: parsed.images,
          repositories,
          targets,
          maxValuesNodes: settings.maxValuesNodes,
        }),
      ],
    };
    versionCache.set(key, described);
    return described;
  }

  return {
    name: 'helm',
    description: `Helm charts from ${[...repositories.keys()].join(', ') || 'no repository yet (backpack.processors.helm.repositories)'} and OCI registries, with their subcharts and images`,
    configSchema: helmArtifactConfigSchema.superRefine((value, ctx) => {
      try {
        if (OCI_REPOSITORY.test(value.repository)) ociCharts.chart(value.repository, 'chart');
        else resolveHelmRepository(value.repository, repositories);
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
 * Two parents' needs of one chart as one config: the union of their
 * images. A chart has one repository: another one than `a`'s is not taken
 * over, as for PyPI's index.
 */
export function mergeHelmConfig(a: JsonObject, b: JsonObject): JsonObject {
  const images = [...new Set([a.images, b.images].flatMap(list => (Array.isArray(list) ? list : [])))]
    .filter((i): i is string => typeof i === 'string')
    .sort();
  const repository = a.repository ?? b.repository;
  return {
    ...(repository !== undefined ? { repository } : {}),
    ...(images.length ? { images } : {}),
  };
}
