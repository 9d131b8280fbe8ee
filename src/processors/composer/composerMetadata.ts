/**
 * Composer v2 repository metadata: the root `packages.json` and the
 * per-package `p2/<vendor>/<name>.json` documents, whose version lists
 * may be minified (`"minified": "composer/2.0"`). Everything here is
 * upstream input: shapes are checked and what does not fit is dropped.
 */

/** Composer's package name rule: `vendor/name`, lower-case letters, digits and separators. */
const PACKAGE_NAME = /^[a-z0-9](?:[_.-]?[a-z0-9]+)*\/[a-z0-9](?:(?:[_.]|-{1,2})?[a-z0-9]+)*$/;

/**
 * The canonical (lower-case) form of a package name, or undefined when it
 * is no Composer package name.
 */
export function normalizeComposerName(name: string): string | undefined {
  const lower = name.toLowerCase();
  return lower.length <= 256 && PACKAGE_NAME.test(lower) ? lower : undefined;
}

/**
 * Requirements Composer satisfies from the platform rather than a
 * repository: PHP itself, its extensions and libraries, and the APIs of
 * Composer that plugins require.
 */
export function isPlatformPackage(name: string): boolean {
  return /^(?:php(?:-64bit|-ipv6|-zts|-debug)?|hhvm|(?:ext|lib)-[a-z0-9](?:[_.-]?[a-z0-9]+)*|composer(?:-(?:plugin|runtime))?-api|composer)$/i.test(
    name,
  );
}

/** A dist archive as the metadata describes it. */
export interface ComposerDist {
  type: string;
  url: string;
  reference?: string;
  /** sha1 of the archive, lower-case hex; absent when the repository gives none (or an empty one). */
  shasum?: string;
}

/** One version of a package, as far as Backpack reads it. */
export interface ComposerPackageVersion {
  /** As published, e.g. `v1.2.3` or `dev-main`. */
  version: string;
  time?: string;
  dist?: ComposerDist;
  require: Record<string, string>;
  requireDev: Record<string, string>;
  /** The whole (expanded) entry, as the repository describes the version. */
  raw: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Composer's MetadataMinifier expansion: the first entry is whole, each
 * later one holds only what changed from the one before, with `"__unset"`
 * for keys it drops.
 */
export function expandMinified(versions: unknown[]): Record<string, unknown>[] {
  const expanded: Record<string, unknown>[] = [];
  let previous: Record<string, unknown> | undefined;
  for (const entry of versions) {
    if (!isObject(entry)) continue;
    if (!previous) {
      previous = { ...entry };
    } else {
      const next: Record<string, unknown> = { ...previous };
      for (const [key, value] of Object.entries(entry)) {
        if (value === '__unset') delete next[key];
        else next[key] = value;
      }
      previous = next;
    }
    expanded.push(previous);
  }
  return expanded;
}

/** A `require`-style map with string constraints only (Composer's `self.version` included). */
function requirements(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [name, constraint] of Object.entries(value)) {
    if (typeof constraint === 'string' && name.length <= 256) out[name] = constraint;
  }
  return out;
}

function distOf(value: unknown): ComposerDist | undefined {
  if (!isObject(value) || typeof value.url !== 'string' || typeof value.type !== 'string') return undefined;
  const shasum =
    typeof value.shasum === 'string' && /^[0-9a-f]{40}$/i.test(value.shasum) ? value.shasum.toLowerCase() : undefined;
  return {
    type: value.type,
    url: value.url,
    ...(typeof value.reference === 'string' ? { reference: value.reference } : {}),
    ...(shasum ? { shasum } : {}),
  };
}

/**
 * The versions of `name` in a p2 document, expanded when minified; entries
 * without a string `version` are dropped.
 */
export function parsePackageDocument(document: unknown, name: string): ComposerPackageVersion[] {
  if (!isObject(document) || !isObject(document.packages)) return [];
  const key = Object.keys(document.packages).find(k => k.toLowerCase() === name);
  const raw = key === undefined ? undefined : document.packages[key];
  if (!Array.isArray(raw)) return [];
  const entries = document.minified === 'composer/2.0' ? expandMinified(raw) : raw.filter(isObject);
  const versions: ComposerPackageVersion[] = [];
  for (const entry of entries) {
    if (typeof entry.version !== 'string' || entry.version.length > 256) continue;
    const dist = distOf(entry.dist);
    versions.push({
      version: entry.version,
      ...(typeof entry.time === 'string' && !Number.isNaN(Date.parse(entry.time))
        ? { time: new Date(entry.time).toISOString() }
        : {}),
      ...(dist ? { dist } : {}),
      require: requirements(entry.require),
      requireDev: requirements(entry['require-dev']),
      raw: entry,
    });
  }
  return versions;
}

/**
 * The URL template of per-package documents (`metadata-url`, with
 * `%package%`) of a root `packages.json`, resolved against it as Composer
 * does (a leading `/` is relative to the host); undefined for a repository
 * that does not speak Composer v2.
 */
export function metadataUrlTemplate(document: unknown, rootUrl: string): string | undefined {
  if (!isObject(document) || typeof document['metadata-url'] !== 'string') return undefined;
  const template = document['metadata-url'];
  if (!template.includes('%package%')) return undefined;
  try {
    // %package% is not valid in every URL position: resolve with a placeholder.
    return new URL(template.replace(/%package%/g, '__PACKAGE__'), rootUrl).href.replace(/__PACKAGE__/g, '%package%');
  } catch {
    return undefined;
  }
}
