import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import { TAR_END, tarHeader, tarPadding } from '../exports/tar';
import { OCI, OciObject, ociObject, TestImage } from './ociImages';
import { StaticRegistryServer } from './staticRegistryServer';

/** A chart the tests package: its Chart.yaml, values.yaml and any other files. */
export interface TestChart {
  name: string;
  version: string;
  appVersion?: string;
  dependencies?: Array<Record<string, string>>;
  annotations?: Record<string, string>;
  values?: unknown;
  /** More files under the chart's folder, e.g. `templates/deployment.yaml` or a vendored subchart. */
  files?: Record<string, string | Buffer>;
  /** Serve a provenance file next to the archive. */
  provenance?: boolean;
}

/** A chart as `helm package` writes it: a gzipped tar of `<name>/…`. */
export function packChart(chart: TestChart): Buffer {
  const chartYaml = stringify({
    apiVersion: 'v2',
    name: chart.name,
    version: chart.version,
    ...(chart.appVersion ? { appVersion: chart.appVersion } : {}),
    description: `${chart.name}, built by the tests`,
    type: 'application',
    ...(chart.dependencies ? { dependencies: chart.dependencies } : {}),
    ...(chart.annotations ? { annotations: chart.annotations } : {}),
  });
  const files: Record<string, string | Buffer> = {
    'Chart.yaml': chartYaml,
    ...(chart.values !== undefined ? { 'values.yaml': stringify(chart.values) } : {}),
    'templates/NOTES.txt': `${chart.name} ${chart.version}\n`,
    ...chart.files,
  };
  const parts: Buffer[] = [];
  for (const [path, content] of Object.entries(files)) {
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
    parts.push(tarHeader(`${chart.name}/${path}`, bytes.length, 1_700_000_000), bytes, tarPadding(bytes.length));
  }
  parts.push(TAR_END);
  return gzipSync(Buffer.concat(parts));
}

export const sha256Hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * A chart repository on a static server: `index.yaml` (relative chart
 * URLs, sha256 digests, as `helm repo index` writes it) over the charts
 * added, each archive at `charts/<name>-<version>.tgz`.
 */
export class TestChartRepository {
  readonly archives = new Map<string, Buffer>();
  private readonly charts: TestChart[] = [];

  private constructor(readonly server: StaticRegistryServer, readonly prefix: string) {}

  static async start(prefix = '/stable'): Promise<TestChartRepository> {
    return new TestChartRepository(await StaticRegistryServer.start(), prefix);
  }

  get url(): string {
    return `${this.server.url}${this.prefix}`;
  }

  /** Adds a chart (and rewrites index.yaml); `tamper` serves other bytes than the digest says. */
  add(chart: TestChart, options: { tamper?: boolean } = {}): Buffer {
    const archive = packChart(chart);
    const file = `${chart.name}-${chart.version}.tgz`;
    this.archives.set(file, archive);
    this.server.set(`${this.prefix}/charts/${file}`, options.tamper ? packChart({ ...chart, appVersion: 'tampered' }) : archive);
    if (chart.provenance) this.server.set(`${this.prefix}/charts/${file}.prov`, `-----BEGIN PGP SIGNED MESSAGE-----\n${file}\n`);
    this.charts.push(chart);
    this.writeIndex();
    return archive;
  }

  private writeIndex(): void {
    const entries: Record<string, unknown[]> = {};
    for (const chart of this.charts) {
      const file = `${chart.name}-${chart.version}.tgz`;
      (entries[chart.name] ??= []).push({
        apiVersion: 'v2',
        name: chart.name,
        version: chart.version,
        ...(chart.appVersion ? { appVersion: chart.appVersion } : {}),
        created: '2026-11-01T00:00:00Z',
        digest: sha256Hex(this.archives.get(file)!),
        urls: [`charts/${file}`],
      });
    }
    this.server.set(`${this.prefix}/index.yaml`, stringify({ apiVersion: 'v1', entries, generated: '2026-11-01T00:00:00Z' }));
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

/** A chart as `helm push` stores it in an OCI registry: a manifest with the chart's config and its archive as the layer. */
export function chartAsOciArtifact(chart: TestChart): TestImage {
  const config = ociObject('application/vnd.cncf.helm.config.v1+json', JSON.stringify({ name: chart.name, version: chart.version }));
  const layer = ociObject('application/vnd.cncf.helm.chart.content.v1.tar+gzip', packChart(chart));
  const descriptor = (o: OciObject) => ({ mediaType: o.mediaType, digest: o.digest, size: o.bytes.length });
  const manifest = ociObject(
    OCI.manifest,
    JSON.stringify({ schemaVersion: 2, mediaType: OCI.manifest, config: descriptor(config), layers: [descriptor(layer)] }),
  );
  return { root: manifest, manifests: [manifest], blobs: [config, layer] };
}
