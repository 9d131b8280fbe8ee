/**
 * Reading an npm packument: versions, their tarballs with the strongest
 * declared digest, and their dependencies as npm's own installer follows
 * them. Apart from the processor, which only fetches the document.
 */
import { JsonObject } from '@backstage/types';
import { DependencyKind, FileIntegrity } from '../../types';
import { ProcessorDependency, ProcessorFile, ProcessorVersion } from '../types';
import { parseNpmDependencySpec } from './npmDependencySpec';

/** One version of a packument, as far as the processor reads it. */
interface PackumentVersion {
  version?: string;
  dist?: { tarball?: string; integrity?: string; shasum?: string };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  /** An SPDX expression; old manifests give `{ type }` or a `licenses` list. */
  license?: unknown;
  licenses?: unknown;
  deprecated?: unknown;
}

/** The license a manifest declares, as an expression; old forms are read too. */
export function manifestLicense(manifest: PackumentVersion): string | undefined {
  const typeOf = (value: unknown): string | undefined => {
    if (typeof value === 'string') return value.trim() || undefined;
    const type = value && typeof value === 'object' ? (value as { type?: unknown }).type : undefined;
    return typeof type === 'string' && type.trim() ? type.trim() : undefined;
  };
  const single = typeOf(manifest.license);
  if (single) return single;
  if (!Array.isArray(manifest.licenses)) return undefined;
  const ids = manifest.licenses.map(typeOf).filter((id): id is string => id !== undefined);
  // A list meant a choice among the licenses.
  return ids.length > 1 ? ids.map(id => (/\s/.test(id) ? `(${id})` : id)).join(' OR ') : ids[0];
}

/** An npm registry's document of a package (full or abbreviated). */
export interface Packument {
  name?: string;
  'dist-tags'?: Record<string, string>;
  versions?: Record<string, PackumentVersion>;
  time?: Record<string, string>;
}

const DIGEST_BYTES: Partial<Record<FileIntegrity['algorithm'], number>> = {
  sha512: 64,
  sha384: 48,
  sha256: 32,
  sha1: 20,
  md5: 16,
};
const STRENGTH: FileIntegrity['algorithm'][] = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];

/**
 * Reads `dist.integrity` (Subresource Integrity, possibly several
 * space-separated hashes) and falls back to `dist.shasum`. Returns the
 * strongest well-formed digest as lower-case hex.
 */
export function parseNpmIntegrity(
  integrity: string | undefined,
  shasum: string | undefined,
): FileIntegrity | undefined {
  let best: FileIntegrity | undefined;
  for (const token of (integrity ?? '').trim().split(/\s+/)) {
    const match = /^(sha512|sha384|sha256|sha1|md5)-([A-Za-z0-9+/]+={0,2})(?:\?.*)?$/.exec(token);
    if (!match) continue;
    const algorithm = match[1] as FileIntegrity['algorithm'];
    const bytes = Buffer.from(match[2], 'base64');
    if (bytes.length !== DIGEST_BYTES[algorithm]) continue;
    if (!best || STRENGTH.indexOf(algorithm) > STRENGTH.indexOf(best.algorithm)) {
      best = { algorithm, digest: bytes.toString('hex') };
    }
  }
  if (best) return best;
  if (shasum && /^[0-9a-fA-F]{40}$/.test(shasum)) {
    return { algorithm: 'sha1', digest: shasum.toLowerCase() };
  }
  return undefined;
}

/** `@scope/name` → `@scope%2fname`, as the registry API expects. */
export function packumentPath(name: string): string {
  if (name.startsWith('@')) {
    const [scope, bare] = name.split('/');
    return `${encodeURIComponent(scope).replace(/^%40/, '@')}%2f${encodeURIComponent(bare)}`;
  }
  return encodeURIComponent(name);
}

function tarballFile(name: string, tarball: string, integrity?: FileIntegrity): ProcessorFile {
  // String slicing rather than `new URL()`: this runs for every version of
  // every packument in a closure.
  const pathname = tarball.replace(/[?#].*$/, '');
  let basename = pathname.slice(pathname.lastIndexOf('/') + 1);
  try {
    basename = decodeURIComponent(basename);
  } catch {
    // Keep it as published.
  }
  return {
    name: basename,
    uri: tarball,
    // The registry's own layout, so the mirror can be served as a registry.
    path: `${name}/-/${basename}`,
    ...(integrity ? { integrity } : {}),
  };
}

/** How dependencies are read from a packument. */
export interface DependencyOptions {
  includePeer: boolean;
  includeOptional: boolean;
  /** Config the dependencies inherit, e.g. a per-artifact registry. */
  config: JsonObject;
  /**
   * The versions of a package repeat the same few specs thousands of times;
   * each distinct (kind, name, spec) is parsed once per packument and its
   * dependency object shared between versions.
   */
  seen: Map<string, ProcessorDependency>;
}

function dependency(
  name: string,
  rawSpec: unknown,
  kind: DependencyKind,
  options: DependencyOptions,
): ProcessorDependency {
  const spec = typeof rawSpec === 'string' ? rawSpec : '';
  const key = `${kind}\0${name}\0${spec}`;
  let result = options.seen.get(key);
  if (!result) {
    const parsed = parseNpmDependencySpec(name, spec);
    result =
      parsed.type === 'unsupported'
        ? {
            processor: 'npm',
            id: name,
            range: spec,
            kind,
            config: options.config,
            unresolvable: parsed.reason,
          }
        : { processor: 'npm', id: parsed.name, range: parsed.range, kind, config: options.config };
    options.seen.set(key, result);
  }
  return result;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
}

function readDependencies(
  manifest: PackumentVersion,
  options: DependencyOptions,
): ProcessorDependency[] {
  // A name declared in several fields takes the last in the order npm's
  // Arborist loads edges: peerDependencies, dependencies, optionalDependencies.
  // Publishing copies optionalDependencies into dependencies, so leaving
  // optional ones out drops them from both.
  const peers = options.includePeer ? asRecord(manifest.peerDependencies) : undefined;
  const peersMeta = asRecord(manifest.peerDependenciesMeta);
  const runtime = asRecord(manifest.dependencies);
  const optional = asRecord(manifest.optionalDependencies);
  const has = (record: Record<string, unknown> | undefined, name: string) =>
    record !== undefined && Object.hasOwn(record, name);

  const result: ProcessorDependency[] = [];
  if (peers) {
    for (const name of Object.keys(peers)) {
      const meta = has(peersMeta, name) ? asRecord(peersMeta![name]) : undefined;
      if (meta?.optional === true || has(runtime, name) || has(optional, name)) continue;
      result.push(dependency(name, peers[name], 'peer', options));
    }
  }
  if (runtime) {
    for (const name of Object.keys(runtime)) {
      if (has(optional, name)) continue;
      result.push(dependency(name, runtime[name], 'runtime', options));
    }
  }
  if (optional && options.includeOptional) {
    for (const name of Object.keys(optional)) {
      result.push(dependency(name, optional[name], 'optional', options));
    }
  }
  return result;
}

/**
 * The versions of a packument: each with its tarball (and the strongest
 * digest the registry states) and the dependencies `options` follows.
 */
export function packumentVersions(
  id: string,
  packument: Packument,
  options: Omit<DependencyOptions, 'seen'>,
): ProcessorVersion[] {
  const dependencyOptions: DependencyOptions = { ...options, seen: new Map() };
  return Object.entries(packument.versions ?? {}).map(([version, manifest]) => {
    const dist = manifest?.dist;
    const publishedAt = packument.time?.[version];
    const license = manifestLicense(manifest ?? {});
    const deprecated = manifest?.deprecated;
    return {
      version,
      ...(publishedAt ? { publishedAt } : {}),
      ...(license ? { license } : {}),
      // npm un-deprecates with an empty string.
      ...(typeof deprecated === 'string' && deprecated ? { deprecated } : {}),
      files: dist?.tarball
        ? [tarballFile(id, dist.tarball, parseNpmIntegrity(dist.integrity, dist.shasum))]
        : [],
      dependencies: readDependencies(manifest ?? {}, dependencyOptions),
    };
  });
}
