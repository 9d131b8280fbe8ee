import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { z } from 'zod';
import { parseArtifactConfig } from '../../lib/validation';
import { DependencyKind, FileIntegrity } from '../../types';
import { parseUpstreamJson } from '../../upstream/readBoundedBody';
import { redactUrl } from '../../upstream/urls';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import {
  allowedUpstreamOverride,
  restrictUpstreamOverride,
  upstreamBaseUrl,
} from '../../upstream/upstreamBaseUrl';
import {
  BackpackProcessor,
  DiscoverOptions,
  DiscoveryResult,
  ProcessorDependency,
  ProcessorFile,
  ProcessorVersion,
} from '../types';
import { isNpmPackageName, parseNpmDependencySpec } from './npmDependencySpec';
import { semverScheme } from './semverScheme';

/** The public registry, used when `backpack.processors.npm.registry` is not set. */
export const DEFAULT_NPM_REGISTRY = 'https://registry.npmjs.org';

// What npm itself sends: the abbreviated ("corgi") document when the
// registry has it, which is a fraction of the full packument's size.
const ABBREVIATED_ACCEPT =
  'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';
const FULL_ACCEPT = 'application/json';

const CONFIG_KEYS = ['registry', 'includePeer', 'includeOptional', 'fullMetadata'];

/**
 * Per-artifact configuration of npm artifacts.
 *
 * @public
 */
export const npmArtifactConfigSchema = z.strictObject(
  {
    registry: z
      .url({ protocol: /^https?$/, error: 'registry: must be an http(s) URL' })
      .optional()
      .describe(
        'Registry base URL for this artifact; must be the configured registry or one of allowedRegistries',
      ),
    includePeer: z
      .boolean()
      .optional()
      .describe('Follow non-optional peerDependencies (default true)'),
    includeOptional: z
      .boolean()
      .optional()
      .describe('Follow optionalDependencies, e.g. platform binaries (default true)'),
    fullMetadata: z
      .boolean()
      .optional()
      .describe('Fetch the full packument instead of the abbreviated one (default false)'),
  },
  {
    error: issue =>
      issue.code === 'unrecognized_keys'
        ? `unknown npm config key(s): ${issue.keys.join(', ')} (allowed: ${CONFIG_KEYS.join(', ')})`
        : undefined,
  },
);

/**
 * Per-artifact configuration of npm artifacts, as parsed.
 *
 * @public
 */
export type NpmArtifactConfig = z.infer<typeof npmArtifactConfigSchema>;

interface PackumentVersion {
  version?: string;
  dist?: { tarball?: string; integrity?: string; shasum?: string };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

interface Packument {
  name?: string;
  'dist-tags'?: Record<string, string>;
  versions?: Record<string, PackumentVersion>;
  time?: Record<string, string>;
}

const DIGEST_BYTES: Record<FileIntegrity['algorithm'], number> = {
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
function packumentPath(name: string): string {
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

interface DependencyOptions {
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
 * Options for {@link createNpmProcessor}.
 *
 * @public
 */
export interface NpmProcessorOptions {
  /** The `backpack.processors.npm` config block. */
  config?: Config;
  upstream: UpstreamClient;
}

/**
 * Creates the npm processor: packuments from an npm registry, one tarball
 * per version, and `dependencies`, `optionalDependencies` and non-optional
 * `peerDependencies` as dependencies.
 *
 * @public
 */
export function createNpmProcessor(options: NpmProcessorOptions): BackpackProcessor {
  const { upstream } = options;
  const configuredRegistry = options.config?.getOptionalString('registry');
  const defaultRegistry = upstreamBaseUrl(
    configuredRegistry ?? DEFAULT_NPM_REGISTRY,
    'backpack.processors.npm.registry',
  );
  const allowedRegistries = (options.config?.getOptionalStringArray('allowedRegistries') ?? []).map(
    url => upstreamBaseUrl(url, 'backpack.processors.npm.allowedRegistries'),
  );
  const override = {
    defaultUrl: defaultRegistry,
    allowed: allowedRegistries,
    field: 'registry',
    configKey: 'backpack.processors.npm.allowedRegistries',
  };
  const registryHost = new URL(defaultRegistry).host;
  const allowedHosts = allowedRegistries.map(url => new URL(url).host);
  // Registries the operator configured may resolve to internal addresses;
  // the built-in default only ever to public ones.
  upstream.policy.allow([registryHost], configuredRegistry ? 'operator' : 'default');
  upstream.policy.allow(allowedHosts, 'operator');

  async function discover(
    request: { id: string; config: JsonObject },
    discoverOptions: DiscoverOptions,
  ): Promise<DiscoveryResult> {
    const { id } = request;
    if (!isNpmPackageName(id)) {
      throw new InputError(`'${id}' is not a valid npm package name`);
    }
    const config = parseArtifactConfig(npmArtifactConfigSchema, request.config);
    // Checked again here: stored and inherited configs bypass the API.
    const registry = allowedUpstreamOverride(config.registry, override);
    const fullMetadata = config.fullMetadata ?? false;

    const headers: Record<string, string> = {
      accept: fullMetadata ? FULL_ACCEPT : ABBREVIATED_ACCEPT,
    };
    if (discoverOptions.validators?.etag || discoverOptions.validators?.lastModified) {
      // fetch() adds `Cache-Control: no-cache` to conditional requests unless
      // one is present, and servers that honour it (express' `fresh`, so
      // verdaccio) then never answer 304.
      headers['cache-control'] = 'max-age=0';
    }

    const response = await upstream.get(`${registry}/${packumentPath(id)}`, {
      headers,
      validators: discoverOptions.validators,
      signal: discoverOptions.signal,
    });
    if (response.notModified) return { notModified: true };
    if (response.status === 404) {
      throw new NotFoundError(`npm package '${id}' not found at ${redactUrl(registry)}`);
    }
    if (response.status !== 200) {
      throw new Error(`GET ${redactUrl(response.url)} answered ${response.status}`);
    }

    const packument = parseUpstreamJson<Packument>(response.body, response.url);

    // Dependencies inherit what changes how they must be fetched or walked.
    const inherited: JsonObject = {};
    if (config.registry) inherited.registry = config.registry;
    if (config.includePeer !== undefined) inherited.includePeer = config.includePeer;
    if (config.includeOptional !== undefined) inherited.includeOptional = config.includeOptional;
    const dependencyOptions: DependencyOptions = {
      includePeer: config.includePeer ?? true,
      includeOptional: config.includeOptional ?? true,
      config: inherited,
      seen: new Map(),
    };

    const versions: ProcessorVersion[] = Object.entries(packument.versions ?? {}).map(
      ([version, manifest]) => {
        const dist = manifest?.dist;
        const publishedAt = packument.time?.[version];
        return {
          version,
          ...(publishedAt ? { publishedAt } : {}),
          files: dist?.tarball
            ? [tarballFile(id, dist.tarball, parseNpmIntegrity(dist.integrity, dist.shasum))]
            : [],
          dependencies: readDependencies(manifest ?? {}, dependencyOptions),
        };
      },
    );

    return {
      notModified: false,
      versions,
      tags: { ...packument['dist-tags'] },
      validators: response.validators,
    };
  }

  return {
    name: 'npm',
    description: `npm packages from ${defaultRegistry}, with their dependency closures`,
    configSchema: restrictUpstreamOverride(npmArtifactConfigSchema, override),
    versions: semverScheme,
    // npm names are case-sensitive and need no normalising, only checking.
    normalizeId: (id: string) => {
      if (!isNpmPackageName(id)) {
        throw new InputError(`id: '${id}' is not a valid npm package name`);
      }
      return id;
    },
    allowedHosts: () => [...new Set([registryHost, ...allowedHosts])],
    discover,
  };
}
