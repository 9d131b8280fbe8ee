import { NotFoundError } from '@backstage/errors';
import { StoredArtifact } from '../../database/ArtifactStore';
import { BackpackStores } from '../../database/createBackpackStores';
import { MirroredFile } from '../../database/MirrorReadStore';
import { readChartFiles } from '../../processors/helm/chartArchive';
import { HelmRepository, resolveHelmRepository } from '../../processors/helm/helmConfig';
import { CHART_NAME } from '../../processors/helm/helmIndex';
import { chartArchiveName, chartFilePath } from '../../processors/helm/helmPaths';
import { helmVersionScheme } from '../../processors/helm/helmVersionScheme';
import { BlobStore } from '../../storage/BlobStore';
import { pathSegmentProblem } from '../../storage/fileRefusal';
import { ParsingLimits } from '../../upstream/limits';
import { BoundedCache } from '../BoundedCache';
import { helmIndexChart, HelmIndexChart, helmIndexYaml } from '../metadata/helmIndexYaml';
import { ServeAccess } from '../ServeAccess';
import { ServedDocument, ServedFile, servedBlob } from '../ServedContent';

const PROCESSOR = 'helm';
/** Chart.yaml of stored archives, by storage key: they never change. */
const CHART_YAML_CACHE = 20_000;

/** Options of {@link HelmView}. */
export interface HelmViewOptions {
  stores: Pick<BackpackStores, 'mirror'>;
  blobStore: BlobStore;
  /** The configured chart repositories by alias (`backpack.processors.helm.repositories`). */
  repositories: ReadonlyMap<string, HelmRepository>;
  /** Bounds reading Chart.yaml out of stored archives. */
  limits: ParsingLimits['tarball'] & { maxFileBytes: number };
}

/** The alias a chart is served under: the configured repository its config names; undefined when none. */
export function helmAliasOf(artifact: StoredArtifact, repositories: ReadonlyMap<string, HelmRepository>): string | undefined {
  // A dependency's stored config is empty; it was discovered under its parents'.
  const repository = artifact.validators?.config?.repository ?? artifact.config.repository;
  if (typeof repository !== 'string') return undefined;
  try {
    return resolveHelmRepository(repository, repositories).alias;
  } catch {
    return undefined;
  }
}

/**
 * The Helm repository view over the mirror: `<alias>/index.yaml` per
 * configured chart repository, listing the complete mirrored versions of
 * the charts mirrored from it that the caller may read, and the chart
 * files at `charts/<chart>/<version>/<file>`, which the index names
 * relatively (`../charts/…`), so it works behind any proxy or mount point.
 */
export class HelmView {
  private readonly chartYamls = new BoundedCache<string, Record<string, unknown>>(CHART_YAML_CACHE);

  constructor(private readonly options: HelmViewOptions) {}

  /** `index.yaml` of a repository alias; NotFoundError for an alias that is not configured. */
  async index(alias: string, access: ServeAccess): Promise<ServedDocument> {
    const { repositories, stores } = this.options;
    if (!repositories.has(alias)) throw new NotFoundError(`'${alias}' is not a chart repository of this mirror`);
    const charts: HelmIndexChart[] = [];
    let generated = new Date(0).toISOString();
    for (const artifact of await stores.mirror.listMirroredArtifacts(PROCESSOR)) {
      if (!access.canRead(artifact) || helmAliasOf(artifact, repositories) !== alias) continue;
      const versions = (await stores.mirror.listMirroredVersions(artifact.ref))
        .filter(v => v.complete)
        .sort((a, b) => helmVersionScheme.compare(b.version, a.version));
      for (const version of versions) {
        const archive = version.files.find(f => f.name === chartArchiveName(artifact.id, version.version));
        if (!archive) continue;
        const chartYaml = await this.chartYamlOf(archive, artifact.id);
        if (!chartYaml) continue;
        const created = version.publishedAt ?? archive.collectedAt;
        if (archive.collectedAt && archive.collectedAt > generated) generated = archive.collectedAt;
        charts.push(
          helmIndexChart(artifact.id, version.version, chartYaml, archive, {
            url: `../${chartFilePath(artifact.id, version.version, archive.name)}`,
            created,
          }),
        );
      }
    }
    return { contentType: 'application/x-yaml', body: helmIndexYaml(charts, generated) };
  }

  /** A collected chart file (archive or provenance); NotFoundError for anything else. */
  async file(chart: string, version: string, name: string, access: ServeAccess): Promise<ServedFile> {
    if (!CHART_NAME.test(chart) || pathSegmentProblem(version) || pathSegmentProblem(name)) {
      throw new NotFoundError(`${chart}/${version}/${name} is not mirrored`);
    }
    const found = await this.options.stores.mirror.findCollectedFileOf({ processor: PROCESSOR, id: chart, version, name });
    if (!found || !access.canRead(found.artifact)) throw new NotFoundError(`${chart}/${version}/${name} is not mirrored`);
    const contentType = name.endsWith('.prov') ? 'application/pgp-signature' : 'application/gzip';
    return servedBlob(this.options.blobStore, found.file, contentType);
  }

  /** Chart.yaml of a stored archive, read once; undefined when unreadable. */
  private async chartYamlOf(file: MirroredFile, chart: string): Promise<Record<string, unknown> | undefined> {
    const key = `${file.storageKey}\0${file.sha256 ?? file.integrity?.digest ?? ''}`;
    const cached = this.chartYamls.get(key);
    if (cached) return cached;
    const { body } = await servedBlob(this.options.blobStore, file, '').open();
    try {
      const { chart: chartYaml } = await readChartFiles(body, chart, this.options.limits);
      this.chartYamls.set(key, chartYaml);
      return chartYaml;
    } catch {
      return undefined;
    }
  }
}
