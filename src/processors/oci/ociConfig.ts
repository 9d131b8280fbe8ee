import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { z } from 'zod';
import { HostTrust } from '../../upstream/HostPolicy';
import { upstreamBaseUrl } from '../../upstream/upstreamBaseUrl';
import { isNameComponent, isRepositoryPath } from './ociNames';

/** An upstream registry under its alias, the first component of artifact ids. */
export interface OciRegistry {
  alias: string;
  /** Scheme, host and port: where `/v2/` is. */
  origin: string;
  /** A path prefix in front of every repository (`https://host/a/b` → `a/b/<path>`), or ''. */
  namespace: string;
  username?: string;
  password?: string;
  /**
   * Other hosts the registry sends clients to: its token realm and blob
   * storage (a CDN, a bucket). They are allowed in the host policy; a token
   * realm must be the registry's own host or one of these.
   */
  hosts: string[];
  /** `operator` when configured, `default` for a built-in (public addresses only). */
  trust: HostTrust;
}

/** Registries known without configuration; a configured alias of the same name replaces one. */
const BUILT_IN: Array<Pick<OciRegistry, 'alias' | 'origin' | 'hosts'>> = [
  // Docker Hub: tokens from auth.docker.io, blobs redirected to its CDN.
  { alias: 'docker.io', origin: 'https://registry-1.docker.io', hosts: ['auth.docker.io', 'production.cloudflare.docker.com'] },
  { alias: 'ghcr.io', origin: 'https://ghcr.io', hosts: ['pkg-containers.githubusercontent.com'] },
  { alias: 'quay.io', origin: 'https://quay.io', hosts: ['cdn01.quay.io', 'cdn02.quay.io', 'cdn03.quay.io'] },
  // Redirects to regional mirrors; list the ones your network reaches in backpack.allowedHosts.
  { alias: 'registry.k8s.io', origin: 'https://registry.k8s.io', hosts: [] },
];

/** The processor-wide settings from `backpack.processors.oci`. */
export interface OciProcessorSettings {
  registries: Map<string, OciRegistry>;
  /** Platforms (`os/arch[/variant]`) for artifacts that set none; undefined: every platform. */
  platforms?: string[];
  referrers: boolean;
  includeForeignLayers: boolean;
  /** Largest manifest read, in bytes. */
  maxManifestBytes: number;
  /** Manifests and blobs one version's closure may have. */
  maxObjectsPerVersion: number;
  /** Tags read from one repository's listing. */
  maxTags: number;
}

const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/;

/**
 * Per-artifact configuration of OCI artifacts; what is left out falls back
 * to `backpack.processors.oci` and then to the default.
 *
 * @public
 */
export const ociArtifactConfigSchema = z.strictObject({
  platforms: z
    .array(z.string().regex(PLATFORM, 'must be os/architecture[/variant], e.g. linux/arm64/v8'))
    .min(1)
    .optional()
    .describe(
      'Platforms of an image index to mirror, e.g. ["linux/amd64", "linux/arm64"] (default: every platform)',
    ),
  referrers: z
    .boolean()
    .optional()
    .describe('Mirror signatures, SBOMs and attestations referring to the image (default true)'),
  includeForeignLayers: z
    .boolean()
    .optional()
    .describe('Mirror non-distributable (foreign) layers too (default false: recorded as parked)'),
});

/**
 * Per-artifact configuration of OCI artifacts, as parsed.
 *
 * @public
 */
export type OciArtifactConfig = z.infer<typeof ociArtifactConfigSchema>;

function positiveInteger(config: Config | undefined, key: string, fallback: number): number {
  const value = config?.getOptionalNumber(key);
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InputError(`backpack.processors.oci.${key}: must be a positive integer`);
  }
  return value;
}

/**
 * One configured registry. Its alias is the config key, or `alias` when set:
 * config keys cannot hold dots, aliases may (`docker.io` with credentials,
 * `registry.example.com`).
 */
function readRegistry(name: string, block: Config): OciRegistry {
  const key = `backpack.processors.oci.registries.${name}`;
  const alias = block.getOptionalString('alias') ?? name;
  if (!isNameComponent(alias)) {
    throw new InputError(
      `${key}: the alias '${alias}' is not one lower-case repository name component (e.g. 'local' or 'registry.example.com')`,
    );
  }
  const url = new URL(upstreamBaseUrl(block.getString('url'), `${key}.url`));
  const namespace = url.pathname.replace(/^\/+|\/+$/g, '');
  if (namespace && !isRepositoryPath(namespace)) {
    throw new InputError(`${key}.url: the path '${namespace}' is not a repository path prefix`);
  }
  if (url.search || url.hash) throw new InputError(`${key}.url: must not have a query or fragment`);
  const username = block.getOptionalString('username');
  const password = block.getOptionalString('password');
  if ((username === undefined) !== (password === undefined)) {
    throw new InputError(`${key}: username and password go together`);
  }
  return {
    alias,
    origin: url.origin,
    namespace,
    username,
    password,
    hosts: block.getOptionalStringArray('hosts') ?? [],
    trust: 'operator',
  };
}

/** Reads `backpack.processors.oci`; every key is optional. */
export function readOciProcessorSettings(config?: Config): OciProcessorSettings {
  const registries = new Map<string, OciRegistry>(
    BUILT_IN.map(r => [r.alias, { ...r, namespace: '', trust: 'default' as const }]),
  );
  const configured = config?.getOptionalConfig('registries');
  for (const name of configured?.keys() ?? []) {
    const registry = readRegistry(name, configured!.getConfig(name));
    registries.set(registry.alias, registry);
  }
  const platforms = config?.getOptionalStringArray('platforms');
  const bad = platforms?.find(p => !PLATFORM.test(p));
  if (bad !== undefined) {
    throw new InputError(`backpack.processors.oci.platforms: '${bad}' is not os/architecture[/variant]`);
  }
  return {
    registries,
    platforms: platforms?.length ? platforms : undefined,
    referrers: config?.getOptionalBoolean('referrers') ?? true,
    includeForeignLayers: config?.getOptionalBoolean('includeForeignLayers') ?? false,
    maxManifestBytes: positiveInteger(config, 'maxManifestBytes', 4 * 1024 * 1024),
    maxObjectsPerVersion: positiveInteger(config, 'maxObjectsPerVersion', 10_000),
    maxTags: positiveInteger(config, 'maxTags', 100_000),
  };
}

/**
 * Two parents' needs of one image as one config: the union of their
 * platforms (none named: every platform), referrers and foreign layers if
 * either wants them. Commutative, and it only ever widens.
 */
export function mergeOciConfig(a: OciArtifactConfig, b: OciArtifactConfig): OciArtifactConfig {
  const merged: OciArtifactConfig = {};
  if (a.platforms && b.platforms) merged.platforms = [...new Set([...a.platforms, ...b.platforms])].sort();
  if (a.referrers !== undefined || b.referrers !== undefined) {
    merged.referrers = (a.referrers ?? true) || (b.referrers ?? true);
  }
  if (a.includeForeignLayers || b.includeForeignLayers) merged.includeForeignLayers = true;
  return merged;
}
