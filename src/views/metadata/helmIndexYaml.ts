import { stringify } from 'yaml';
import { asList, asMap, asString } from '../../processors/helm/helmYaml';

/** Chart.yaml fields a repository index carries (Helm's chart metadata), all strings unless listed below. */
const STRING_FIELDS = ['apiVersion', 'appVersion', 'description', 'home', 'icon', 'kubeVersion', 'type', 'condition', 'tags'];
const LIST_OF_STRINGS = ['keywords', 'sources'];
const DEPENDENCY_FIELDS = ['name', 'version', 'repository', 'condition', 'alias'];

/** A mirrored chart version as the index lists it. */
export interface HelmIndexChart {
  name: string;
  version: string;
  /** Chart.yaml as read from the stored archive (every scalar a string). */
  chartYaml: Record<string, unknown>;
  /** Relative or absolute URL of the archive. */
  url: string;
  /** Hex sha256 of the archive. */
  digest?: string;
  created?: string;
}

function pick(source: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const field of fields) {
    const value = asString(source[field]);
    if (value !== undefined) result[field] = value;
  }
  return result;
}

/**
 * One index entry: the chart's metadata from its own Chart.yaml (only the
 * fields Helm's index has, typed as Helm reads them; the mirror's name and
 * version win), the archive's URL and digest.
 */
function indexEntry(chart: HelmIndexChart): Record<string, unknown> {
  const source = chart.chartYaml;
  const entry: Record<string, unknown> = pick(source, STRING_FIELDS);
  entry.name = chart.name;
  entry.version = chart.version;
  for (const field of LIST_OF_STRINGS) {
    const values = asList(source[field]).map(asString).filter((v): v is string => v !== undefined);
    if (values.length) entry[field] = values;
  }
  const maintainers = asList(source.maintainers)
    .map(m => asMap(m))
    .filter((m): m is Record<string, unknown> => m !== undefined)
    .map(m => pick(m, ['name', 'email', 'url']));
  if (maintainers.length) entry.maintainers = maintainers;
  if (asString(source.deprecated) === 'true') entry.deprecated = true;
  const annotations = asMap(source.annotations);
  if (annotations) entry.annotations = pick(annotations, Object.keys(annotations));
  const dependencies = asList(source.dependencies)
    .map(d => asMap(d))
    .filter((d): d is Record<string, unknown> => d !== undefined)
    .map(d => pick(d, DEPENDENCY_FIELDS));
  if (dependencies.length) entry.dependencies = dependencies;
  entry.urls = [chart.url];
  if (chart.digest) entry.digest = chart.digest;
  entry.created = chart.created ?? new Date(0).toISOString();
  return entry;
}

/**
 * A Helm repository's `index.yaml` over mirrored chart versions, newest
 * version first per chart as `helm repo index` writes it (the caller
 * orders them).
 */
export function helmIndexYaml(charts: HelmIndexChart[], generated: string): string {
  const entries: Record<string, unknown[]> = {};
  for (const chart of charts) (entries[chart.name] ??= []).push(indexEntry(chart));
  return stringify({ apiVersion: 'v1', entries, generated });
}

/** A stored chart archive as the index names it: the digest it was verified by, or the stored bytes' sha256. */
export function helmIndexChart(
  name: string,
  version: string,
  chartYaml: Record<string, unknown>,
  archive: { integrity?: { algorithm: string; digest: string }; sha256?: string },
  place: { url: string; created?: string },
): HelmIndexChart {
  const digest = archive.integrity?.algorithm === 'sha256' ? archive.integrity.digest : archive.sha256;
  return { name, version, chartYaml, url: place.url, ...(digest ? { digest } : {}), ...(place.created ? { created: place.created } : {}) };
}
