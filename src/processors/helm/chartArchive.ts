import { Readable } from 'node:stream';
import { readTarEntries } from '../../lib/tarEntries';
import { ParsingLimits } from '../../upstream/limits';
import { asMap, parseUpstreamYaml } from './helmYaml';

/** What Backpack reads out of a chart archive. */
export interface ChartFiles {
  /** Chart.yaml, parsed (every scalar a string). */
  chart: Record<string, unknown>;
  /** values.yaml, parsed; undefined when the chart has none or it is unreadable. */
  values?: unknown;
}


/**
 * Reads Chart.yaml and values.yaml out of a packaged chart (a gzipped tar
 * whose entries sit under one folder, the chart's name, as `helm package`
 * writes it), within the tar
 * limits and `maxFileBytes` per file. Throws when the archive has no
 * readable Chart.yaml, which every chart must have.
 */
export async function readChartFiles(
  archive: Buffer | Readable,
  chartName: string,
  limits: ParsingLimits['tarball'] & { maxFileBytes: number },
): Promise<ChartFiles> {
  // The chart's own files, not those of its subcharts (`<chart>/charts/…`).
  const wanted = new Set([`${chartName}/Chart.yaml`, `${chartName}/values.yaml`]);
  const entries = await readTarEntries(
    Buffer.isBuffer(archive) ? Readable.from([archive]) : archive,
    { wants: path => wanted.has(path), stopAfter: 2 },
    { maxInflatedBytes: limits.maxInflatedBytes, maxEntries: limits.maxEntries, maxEntryBytes: limits.maxFileBytes },
  );
  const byName = new Map([...entries].map(([path, bytes]) => [path.slice(path.indexOf('/') + 1), bytes]));
  const chartBytes = byName.get('Chart.yaml');
  if (!chartBytes) {
    throw new Error(`the chart archive has no readable <chart>/Chart.yaml within the limits (backpack.limits.tarball, maxChartFileBytes)`);
  }
  const chart = asMap(parseUpstreamYaml(chartBytes.toString('utf8'), 'Chart.yaml'));
  if (!chart) throw new Error('Chart.yaml is not a mapping');
  const valuesBytes = byName.get('values.yaml');
  let values: unknown;
  if (valuesBytes) {
    try {
      values = parseUpstreamYaml(valuesBytes.toString('utf8'), 'values.yaml');
    } catch {
      values = undefined;
    }
  }
  return { chart, values };
}
