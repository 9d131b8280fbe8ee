import { Readable } from 'node:stream';
import { CollectedArtifact, CollectedFile } from '../../database/ExportStore';
import { readChartFiles } from '../../processors/helm/chartArchive';
import { chartArchiveName, chartFilePath } from '../../processors/helm/helmPaths';
import { helmVersionScheme } from '../../processors/helm/helmVersionScheme';
import { DEFAULT_PARSING_LIMITS } from '../../upstream/limits';
import { HelmIndexChart, helmIndexChart, helmIndexYaml } from '../../views/metadata/helmIndexYaml';
import { EcosystemLayout, LayoutContext, StreamedEntry } from './EcosystemLayout';

/** The bundle's Helm root: `helm/<alias>/index.yaml`, `helm/charts/<chart>/<version>/<file>`. */
export const HELM_ROOT = 'helm';

/** Largest chart archive read for its Chart.yaml. */
const MAX_ARCHIVE_BYTES = 64 * 1024 * 1024;
const CHART_FILE_LIMITS = { ...DEFAULT_PARSING_LIMITS.tarball, maxFileBytes: 4 * 1024 * 1024 };

/**
 * The folder of a chart's repository in the bundle: its alias, as artifact
 * configs name it. A repository named by URL (the bundle does not see the
 * operator's aliases) gets a folder named after the URL's host and path.
 */
export function bundleRepositoryFolder(repository: unknown): string | undefined {
  if (typeof repository !== 'string' || repository === '') return undefined;
  let name = repository;
  if (/^https?:\/\//i.test(repository)) {
    try {
      const url = new URL(repository);
      name = `${url.host}${url.pathname}`;
    } catch {
      return undefined;
    }
  }
  const folder = name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  return folder && folder !== 'charts' ? folder : undefined;
}

/** The index charts of one collected chart, newest first, their URLs relative to `helm/<alias>/`. */
async function chartsOf(
  artifact: CollectedArtifact,
  context: LayoutContext,
  chartYamls: Map<string, Record<string, unknown> | null>,
): Promise<HelmIndexChart[]> {
  const result: HelmIndexChart[] = [];
  const versions = [...artifact.versions].sort((a, b) => helmVersionScheme.compare(b.version, a.version));
  for (const version of versions) {
    const archive = version.files.find(f => f.name === chartArchiveName(artifact.id, version.version));
    if (!archive) continue;
    let chartYaml = chartYamls.get(archive.storageKey);
    if (chartYaml === undefined) {
      chartYaml = await readChartYaml(archive, artifact.id, context);
      chartYamls.set(archive.storageKey, chartYaml);
    }
    if (!chartYaml) continue;
    result.push(
      helmIndexChart(artifact.id, version.version, chartYaml, archive, {
        url: `../${chartFilePath(artifact.id, version.version, archive.name)}`,
        created: version.publishedAt ?? archive.collectedAt,
      }),
    );
  }
  return result;
}

async function readChartYaml(file: CollectedFile, chart: string, context: LayoutContext) {
  const bytes = await context.readSmallFile(file, MAX_ARCHIVE_BYTES);
  if (!bytes) return null;
  try {
    return (await readChartFiles(Readable.from([bytes]), chart, CHART_FILE_LIMITS)).chart;
  } catch {
    return null;
  }
}

/**
 * Helm: a static chart repository per alias, `helm/<alias>/index.yaml`
 * over every chart version collected up to the cut-off, whose relative
 * URLs (`../charts/<chart>/<version>/<file>`) name the archives and
 * provenance files under `helm/charts/`. Served by any static web server,
 * it is a repository for `helm repo add`.
 */
export const helmLayout: EcosystemLayout = {
  processor: HELM_ROOT,
  pathOf: file => `${HELM_ROOT}/${chartFilePath(file.artifactId, file.version, file.name)}`,
  async indexesOf(context): Promise<StreamedEntry[]> {
    const byFolder = new Map<string, HelmIndexChart[]>();
    const chartYamls = new Map<string, Record<string, unknown> | null>();
    let generated = new Date(0).toISOString();
    for await (const id of context.listArtifactIds(HELM_ROOT)) {
      const artifact = await context.collectedArtifact(HELM_ROOT, id);
      const folder = bundleRepositoryFolder(artifact?.config?.repository);
      if (!artifact || !folder) continue;
      const charts = await chartsOf(artifact, context, chartYamls);
      // Charts in OCI registries have no archive here: they travel in the OCI layout.
      if (charts.length === 0) continue;
      for (const version of artifact.versions) {
        for (const file of version.files) if (file.collectedAt > generated) generated = file.collectedAt;
      }
      byFolder.set(folder, [...(byFolder.get(folder) ?? []), ...charts]);
    }
    return [...byFolder.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([folder, charts]) => {
        const text = helmIndexYaml(charts, generated);
        return {
          path: `${HELM_ROOT}/${folder}/index.yaml`,
          async *chunks() {
            yield text;
          },
        };
      });
  },
};
