import { asList, asMap, asString, parseUpstreamYaml } from './helmYaml';
import { helmVersionScheme } from './helmVersionScheme';

/** One version of a chart as a repository's `index.yaml` lists it. */
export interface HelmIndexEntry {
  version: string;
  /** Absolute http(s) URL of the chart archive. */
  url: string;
  /** Lower-case hex sha256 of the archive, when the index has one. */
  digest?: string;
  created?: string;
}

/** A chart name: what Helm allows, and one path segment. */
export const CHART_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Characters of a semver version (with build metadata), so a version is one path segment. */
const VERSION_CHARACTERS = /^[0-9A-Za-z.+=-]{1,128}$/;

const DIGEST = /^[0-9a-fA-F]{64}$/;

/** The repository's base as a directory, which relative chart URLs resolve against. */
function baseOf(repositoryUrl: string): string {
  return `${repositoryUrl.replace(/\/+$/, '')}/`;
}

/** A repository's `index.yaml`, parsed: its chart lists by chart name, not yet checked. */
export type HelmIndex = Record<string, unknown>;

/** Parses `index.yaml`; throws when it is not a Helm repository index at all. */
export function parseHelmIndex(text: string): HelmIndex {
  const document = asMap(parseUpstreamYaml(text, 'index.yaml'));
  const entries = asMap(document?.entries);
  if (!document || (document.entries !== undefined && !entries)) {
    throw new Error('index.yaml: not a Helm repository index (no entries map)');
  }
  return entries ?? {};
}

/**
 * The versions of one chart in a parsed index; undefined when the index
 * does not list the chart. Entries that are not usable (no valid version,
 * no http(s) URL, a version listed twice) are left out and reported
 * through `warn`.
 */
export function chartIndexEntries(
  entries: HelmIndex,
  chart: string,
  repositoryUrl: string,
  warn: (message: string) => void,
): HelmIndexEntry[] | undefined {
  if (!Object.hasOwn(entries, chart)) return undefined;
  const result = new Map<string, HelmIndexEntry>();
  for (const raw of asList(entries[chart])) {
    const entry = asMap(raw);
    const version = asString(entry?.version);
    if (!entry || !version || !VERSION_CHARACTERS.test(version) || !helmVersionScheme.isValidVersion(version)) {
      warn(`index.yaml: ${chart}: skipping an entry without a valid semver version (${JSON.stringify(String(version).slice(0, 100))})`);
      continue;
    }
    const url = asList(entry.urls)
      .map(u => asString(u))
      .map(u => {
        if (!u) return undefined;
        try {
          const resolved = new URL(u, baseOf(repositoryUrl));
          return resolved.protocol === 'http:' || resolved.protocol === 'https:' ? resolved.href : undefined;
        } catch {
          return undefined;
        }
      })
      .find(u => u !== undefined);
    if (!url) {
      warn(`index.yaml: ${chart} ${version}: skipping, no http(s) URL`);
      continue;
    }
    if (result.has(version)) {
      warn(`index.yaml: ${chart} ${version}: listed twice, keeping the first`);
      continue;
    }
    const digest = asString(entry.digest);
    if (digest !== undefined && !DIGEST.test(digest)) {
      warn(`index.yaml: ${chart} ${version}: the digest is not a sha256 hex digest; the chart is collected unverified`);
    }
    const created = asString(entry.created);
    result.set(version, {
      version,
      url,
      ...(digest && DIGEST.test(digest) ? { digest: digest.toLowerCase() } : {}),
      ...(created && !Number.isNaN(Date.parse(created)) ? { created: new Date(created).toISOString() } : {}),
    });
  }
  return [...result.values()];
}
