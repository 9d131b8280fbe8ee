import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { z } from 'zod';
import { artifactConfigSchema } from '../../lib/validation';
import { HostPolicy, HostTrust } from '../../upstream/HostPolicy';
import { upstreamBaseUrl } from '../../upstream/upstreamBaseUrl';
import { isProviderHostname, PLATFORM } from './terraformNames';

const PREFIX = 'backpack.processors.terraform';

/** A provider registry under the host name that provider addresses use. */
export interface TerraformRegistry {
  /** The host name of provider addresses, e.g. `registry.terraform.io`. */
  host: string;
  /** Where its `/.well-known/terraform.json` is: `https://<host>` unless configured. */
  url: string;
  trust: HostTrust;
  /** A token sent as a bearer token to the registry's origin (a private registry), never elsewhere. */
  token?: string;
}

/** Registries known without configuration; public addresses only. */
const BUILT_IN_REGISTRIES = ['registry.terraform.io', 'registry.opentofu.org'];

/**
 * Where the public registries' packages and checksums are downloaded from:
 * HashiCorp's releases site and GitHub release assets (the OpenTofu
 * registry and third-party providers). Public addresses only.
 */
export const BUILT_IN_DOWNLOAD_HOSTS = [
  'releases.hashicorp.com',
  'github.com',
  'objects.githubusercontent.com',
  'release-assets.githubusercontent.com',
];

/** The processor-wide settings from `backpack.processors.terraform`. */
export interface TerraformProcessorSettings {
  registries: Map<string, TerraformRegistry>;
  /** Hosts packages and checksums may be downloaded from, besides the registries. */
  downloadHosts: Array<{ host: string; trust: HostTrust }>;
  /** Platforms (`<os>_<arch>`) for artifacts that name none. */
  platforms: string[];
  /** Largest SHA256SUMS document read, in bytes. */
  maxSumsBytes: number;
  /** Largest detached signature read, in bytes. */
  maxSignatureBytes: number;
}

const platformList = z
  .array(z.string().regex(PLATFORM, 'must be <os>_<arch>, e.g. linux_amd64 or darwin_arm64'))
  .min(1, 'must name at least one platform')
  .max(64, 'must name at most 64 platforms');

/**
 * Per-artifact configuration of Terraform providers.
 *
 * @public
 */
export const terraformArtifactConfigSchema = artifactConfigSchema('terraform', {
  platforms: platformList
    .optional()
    .describe('Platforms to mirror, e.g. ["linux_amd64", "darwin_arm64"] (default the processor-wide list)'),
});

/**
 * Per-artifact configuration of Terraform providers, as parsed.
 *
 * @public
 */
export type TerraformArtifactConfig = z.infer<typeof terraformArtifactConfigSchema>;

function positiveInteger(config: Config | undefined, key: string, fallback: number): number {
  const value = config?.getOptionalNumber(key);
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new InputError(`${PREFIX}.${key}: must be a positive integer`);
  return value;
}

function hostOf(value: string, key: string): string {
  const host = value.toLowerCase();
  if (!isProviderHostname(host)) throw new InputError(`${key}: '${value}' is not a host name`);
  return host;
}

/** One entry of `registries`: a host name (served over https), or `{ host, url }`. */
function readRegistry(entry: unknown, index: number): TerraformRegistry {
  const key = `${PREFIX}.registries[${index}]`;
  if (typeof entry === 'string') {
    const host = hostOf(entry, key);
    return { host, url: `https://${host}`, trust: 'operator' };
  }
  const block = entry && typeof entry === 'object' && !Array.isArray(entry) ? (entry as Record<string, unknown>) : {};
  const unknown = Object.keys(block).filter(k => !['host', 'url', 'token'].includes(k));
  const optionalString = (value: unknown) => value === undefined || typeof value === 'string';
  if (typeof block.host !== 'string' || unknown.length > 0 || !optionalString(block.url) || !optionalString(block.token)) {
    throw new InputError(`${key}: must be a host name or { host, url, token } (url and token optional)`);
  }
  const host = hostOf(block.host, `${key}.host`);
  const url = upstreamBaseUrl(typeof block.url === 'string' ? block.url : `https://${host}`, `${key}.url`);
  const parsed = new URL(url);
  if (parsed.search || parsed.hash) throw new InputError(`${key}.url: must not have a query or fragment`);
  return { host, url, trust: 'operator', ...(typeof block.token === 'string' ? { token: block.token } : {}) };
}

/** Reads `backpack.processors.terraform`; every key is optional. */
export function readTerraformProcessorSettings(config?: Config): TerraformProcessorSettings {
  const registries = new Map<string, TerraformRegistry>(
    BUILT_IN_REGISTRIES.map(host => [host, { host, url: `https://${host}`, trust: 'default' as const }]),
  );
  const entries = config?.getOptional<unknown>('registries') ?? [];
  if (!Array.isArray(entries)) throw new InputError(`${PREFIX}.registries: must be a list`);
  entries.forEach((entry, index) => {
    const registry = readRegistry(entry, index);
    registries.set(registry.host, registry);
  });
  const downloadHosts = [
    ...BUILT_IN_DOWNLOAD_HOSTS.map(host => ({ host, trust: 'default' as const })),
    ...(config?.getOptionalStringArray('downloadHosts') ?? []).map(host => ({
      host: hostOf(host, `${PREFIX}.downloadHosts`),
      trust: 'operator' as const,
    })),
  ];
  const platforms = config?.getOptionalStringArray('platforms') ?? ['linux_amd64'];
  const parsed = platformList.safeParse(platforms);
  if (!parsed.success) {
    throw new InputError(`${PREFIX}.platforms: ${parsed.error.issues[0].message}`);
  }
  return {
    registries,
    downloadHosts,
    platforms,
    maxSumsBytes: positiveInteger(config, 'maxSumsBytes', 1024 * 1024),
    maxSignatureBytes: positiveInteger(config, 'maxSignatureBytes', 64 * 1024),
  };
}

/**
 * Lets the registries and download hosts through the host policy and
 * returns their hosts: the operator's may resolve to internal addresses,
 * the built-in ones only to public ones.
 */
export function allowTerraformHosts(policy: HostPolicy, settings: TerraformProcessorSettings): string[] {
  const byTrust: Record<HostTrust, string[]> = { operator: [], default: [] };
  for (const registry of settings.registries.values()) byTrust[registry.trust].push(new URL(registry.url).host);
  for (const { host, trust } of settings.downloadHosts) byTrust[trust].push(host);
  // A host the operator names is theirs, even when a default names it too.
  const operator = new Set(byTrust.operator);
  const defaults = byTrust.default.filter(host => !operator.has(host));
  if (defaults.length) policy.allow(defaults, 'default');
  if (operator.size) policy.allow([...operator], 'operator');
  return [...new Set([...operator, ...defaults])];
}
