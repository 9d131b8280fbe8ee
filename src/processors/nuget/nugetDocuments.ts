/**
 * The documents of NuGet's v3 protocol that the processor reads, as the
 * upstream may send them (every field checked before use), and what it
 * takes from them.
 */
import { normalizeNugetVersion } from './nugetVersion';

/** A `dependencyGroups` entry of a catalog entry. */
export interface NugetDependencyGroup {
  targetFramework?: string;
  dependencies: Array<{ id: string; range?: string }>;
}

/** A catalog entry (inline in a registration page, or a catalog leaf). */
export interface NugetCatalogEntry {
  version: string;
  listed: boolean;
  published?: string;
  packageContent?: string;
  packageHash?: string;
  packageHashAlgorithm?: string;
  packageSize?: number;
  dependencyGroups: NugetDependencyGroup[];
  /** The catalog leaf's URL when the entry is not inline. */
  leafUrl?: string;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const obj = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** The URL of the first resource of one of `types` in a service index, in that order of preference. */
export function serviceResource(index: unknown, types: string[]): string | undefined {
  const resources = arr(obj(index).resources).map(obj);
  for (const type of types) {
    const found = resources.find(r => {
      const t = r['@type'];
      return t === type || (Array.isArray(t) && t.includes(type));
    });
    const url = str(found?.['@id']);
    if (url) return url.endsWith('/') ? url : `${url}/`;
  }
  return undefined;
}

/** A catalog entry from its JSON, or undefined when it has no valid version. */
export function parseCatalogEntry(value: unknown): NugetCatalogEntry | undefined {
  if (typeof value === 'string') {
    // Only a link to the catalog leaf; its version comes from the leaf.
    return { version: '', listed: true, dependencyGroups: [], leafUrl: value };
  }
  const entry = obj(value);
  const version = str(entry.version);
  if (!version || !normalizeNugetVersion(version)) return undefined;
  const size = entry.packageSize;
  return {
    version,
    listed: entry.listed !== false,
    published: str(entry.published),
    packageContent: str(entry.packageContent),
    packageHash: str(entry.packageHash),
    packageHashAlgorithm: str(entry.packageHashAlgorithm),
    packageSize: typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? size : undefined,
    dependencyGroups: arr(entry.dependencyGroups).map(obj).map(group => ({
      targetFramework: str(group.targetFramework),
      dependencies: arr(group.dependencies)
        .map(obj)
        .flatMap(d => {
          const id = str(d.id);
          return id ? [{ id, range: str(d.range) }] : [];
        }),
    })),
    leafUrl: str(entry['@id']),
  };
}

/** The pages of a registration index: inline leaves, or the URL of a page to fetch. */
export function registrationPages(
  index: unknown,
): Array<{ leaves?: Array<{ entry: unknown; packageContent?: string }>; url?: string }> {
  return arr(obj(index).items).map(obj).map(page => {
    if (Array.isArray(page.items)) {
      return {
        leaves: page.items.map(obj).map(leaf => ({
          entry: leaf.catalogEntry,
          packageContent: str(leaf.packageContent),
        })),
      };
    }
    return { url: str(page['@id']) };
  });
}

/** A base64 digest (NuGet's `packageHash`) as lower-case hex, or undefined when it is not one. */
export function hexDigest(base64: string | undefined, bytes: number): string | undefined {
  if (!base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const digest = Buffer.from(base64, 'base64');
  return digest.length === bytes ? digest.toString('hex') : undefined;
}
