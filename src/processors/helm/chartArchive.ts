import { Readable } from 'node:stream';
import { readTarEntries } from '../../lib/tarEntries';
import { ParsingLimits } from '../../upstream/limits';
import { asMap, parseUpstreamYaml } from './helmYaml';

/** A subchart that travels inside a chart's archive (`charts/<name>/` or `charts/<name>.tgz`). */
export interface VendoredChart {
  /** Where it sits, from the chart's folder: `charts/redis`, `charts/redis-17.3.0.tgz/charts/common`. */
  path: string;
  chart?: Record<string, unknown>;
  values?: unknown;
}

/** What Backpack reads out of a chart archive. */
export interface ChartFiles {
  /** Chart.yaml, parsed (every scalar a string). */
  chart: Record<string, unknown>;
  /** values.yaml, parsed; undefined when the chart has none or it is unreadable. */
  values?: unknown;
  /** Subcharts in the archive, when asked for; their images are the chart's too. */
  subcharts: VendoredChart[];
}

/** Limits of reading a chart archive: the tar limits, and the largest file read. */
export type ChartReadLimits = ParsingLimits['tarball'] & { maxFileBytes: number };

/** Chart.yaml and values.yaml of the chart or of an unpacked subchart, from the chart's folder. */
const CHART_FILE = /^((?:charts\/[^/]+\/)*)(Chart\.yaml|values\.yaml)$/;
/** A packaged subchart, as `helm dependency build` vendors it. */
const NESTED_ARCHIVE = /^(?:charts\/[^/]+\/)*charts\/[^/]+\.tgz$/;
/** Archives within archives followed, and how many in all. */
const MAX_NESTING = 3;
const MAX_NESTED_ARCHIVES = 100;

interface Folder {
  chart?: Record<string, unknown>;
  values?: unknown;
}

function parseOrUndefined(bytes: Buffer, what: string): unknown {
  try {
    return parseUpstreamYaml(bytes.toString('utf8'), what);
  } catch {
    return undefined;
  }
}

/**
 * The chart folders of an archive by path from its root folder ('' for
 * the chart itself). `root` names the root folder; a nested archive's is
 * whatever folder holds its Chart.yaml. `nesting` undefined reads only the
 * chart's own files.
 */
async function readFolders(
  source: Readable,
  root: string | undefined,
  limits: ChartReadLimits,
  nesting: { depth: number; archives: number } | undefined,
): Promise<Map<string, Folder>> {
  const entries = await readTarEntries(
    source,
    {
      wants: path => {
        const slash = path.indexOf('/');
        if (slash <= 0 || (root !== undefined && path.slice(0, slash) !== root)) return false;
        const rest = path.slice(slash + 1);
        if (!nesting) return rest === 'Chart.yaml' || rest === 'values.yaml';
        return CHART_FILE.test(rest) || NESTED_ARCHIVE.test(rest);
      },
      ...(nesting ? {} : { stopAfter: 2 }),
    },
    { maxInflatedBytes: limits.maxInflatedBytes, maxEntries: limits.maxEntries, maxEntryBytes: limits.maxFileBytes },
  );
  const top = root ?? [...entries.keys()].find(path => /^[^/]+\/Chart\.yaml$/.test(path))?.split('/')[0];
  const folders = new Map<string, Folder>();
  const folder = (path: string) => folders.get(path) ?? folders.set(path, {}).get(path)!;
  for (const [path, bytes] of entries) {
    if (top === undefined || !path.startsWith(`${top}/`)) continue;
    const rest = path.slice(top.length + 1);
    const file = CHART_FILE.exec(rest);
    if (file) {
      const at = file[1].replace(/\/$/, '');
      const parsed = parseOrUndefined(bytes, file[2]);
      if (file[2] === 'Chart.yaml') folder(at).chart = asMap(parsed);
      else folder(at).values = parsed;
      continue;
    }
    if (nesting && nesting.depth < MAX_NESTING && nesting.archives < MAX_NESTED_ARCHIVES) {
      nesting.archives += 1;
      const inner = await readFolders(Readable.from([bytes]), undefined, limits, { ...nesting, depth: nesting.depth + 1 });
      for (const [at, found] of inner) folders.set(at ? `${rest}/${at}` : rest, found);
    }
  }
  return folders;
}

/**
 * Reads Chart.yaml and values.yaml out of a packaged chart (a gzipped tar
 * whose entries sit under one folder, the chart's name, as `helm package`
 * writes it), within the tar limits and `maxFileBytes` per file; with
 * `subcharts`, also those of the subcharts it carries, unpacked or as
 * archives (at most 3 deep). Throws when the archive has no readable
 * Chart.yaml, which every chart must have.
 */
export async function readChartFiles(
  archive: Buffer | Readable,
  chartName: string,
  limits: ChartReadLimits,
  options: { subcharts?: boolean } = {},
): Promise<ChartFiles> {
  const source = Buffer.isBuffer(archive) ? Readable.from([archive]) : archive;
  const folders = await readFolders(source, chartName, limits, options.subcharts ? { depth: 0, archives: 0 } : undefined);
  const own = folders.get('');
  if (!own?.chart) {
    throw new Error(
      'the chart archive has no readable <chart>/Chart.yaml within the limits (backpack.limits.tarball, maxChartFileBytes)',
    );
  }
  const subcharts = [...folders.entries()]
    .filter(([path, found]) => path !== '' && (found.chart || found.values !== undefined))
    .map(([path, found]) => ({ path, ...found }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  return { chart: own.chart, values: own.values, subcharts };
}
