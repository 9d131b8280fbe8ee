import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { createHash } from 'node:crypto';
import semver from 'semver';
import { parseArtifactConfig } from '../../lib/validation';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { redactUrl } from '../../upstream/urls';
import { BoundedCache } from '../../views/BoundedCache';
import { BackpackProcessor, DiscoverOptions, DiscoveryResult, ProcessorFile, ProcessorVersion } from '../types';
import {
  ListedProviderVersion,
  parseDownloadDocument,
  parseVersionsDocument,
  ProviderDownload,
  providersServiceUrl,
} from './registryDocuments';
import { parseSha256Sums, verifySignedSums } from './signedSums';
import {
  allowTerraformHosts,
  readTerraformProcessorSettings,
  TerraformRegistry,
  terraformArtifactConfigSchema,
} from './terraformConfig';
import {
  checkedProviderAddress,
  ProviderAddress,
  providerId,
  providerPackageName,
  providerSumsNames,
} from './terraformNames';
import { terraformVersionScheme } from './terraformVersion';

/** Providers whose version listings are kept between a discovery and the descriptions of its versions. */
const LISTING_CACHE_SIZE = 2_000;
/**
 * Verified descriptions kept: a published provider release never changes
 * (registries refuse to replace one), so later runs describe it without
 * fetching and verifying its checksums again.
 */
const DESCRIPTION_CACHE_SIZE = 5_000;

/**
 * Options for {@link createTerraformProcessor}.
 *
 * @public
 */
export interface TerraformProcessorOptions {
  /** The `backpack.processors.terraform` config block. */
  config?: Config;
  upstream: UpstreamClient;
}

/**
 * Creates the Terraform / OpenTofu provider processor: providers from
 * registries speaking the provider registry protocol (service discovery,
 * version listing, download endpoint), artifact ids
 * `<hostname>/<namespace>/<type>`. Each selected version is described on
 * demand: for each configured platform the package zip, and the version's
 * SHA256SUMS and its signature. The checksums are fetched and their
 * signature verified against the registry's published keys while the
 * version is described, so a version whose signature does not verify, or
 * whose checksums disagree with the download endpoint, fails with that
 * reason and nothing of it is collected; the collector then checks every
 * file against a sha256 the signed checksums vouch for.
 *
 * @public
 */
export function createTerraformProcessor(options: TerraformProcessorOptions): BackpackProcessor {
  const { upstream } = options;
  const settings = readTerraformProcessorSettings(options.config);
  const hosts = allowTerraformHosts(upstream.policy, settings);
  for (const registry of settings.registries.values()) {
    const { token } = registry;
    if (!token) continue;
    const origin = new URL(registry.url).origin;
    // The registry's own origin only: packages on other hosts never see the token.
    upstream.addAuthenticator(url => url.origin === origin, {
      authorization: async () => `Bearer ${token}`,
      challenge: async () => false,
    });
  }
  const services = new Map<string, Promise<string>>();
  const listings = new BoundedCache<string, ListedProviderVersion[]>(LISTING_CACHE_SIZE);
  const descriptions = new BoundedCache<string, ProcessorVersion>(DESCRIPTION_CACHE_SIZE);

  function registryOf(address: ProviderAddress): TerraformRegistry {
    const registry = settings.registries.get(address.hostname);
    if (!registry) {
      throw new InputError(
        `id: the registry '${address.hostname}' is not configured (backpack.processors.terraform.registries)`,
      );
    }
    return registry;
  }

  const checkedId = (id: string) => {
    const address = checkedProviderAddress(id);
    registryOf(address);
    return providerId(address);
  };

  /** The registry's `providers.v1` base URL, from its service discovery document. */
  function providersBase(registry: TerraformRegistry, signal?: AbortSignal): Promise<string> {
    let found = services.get(registry.host);
    if (!found) {
      found = (async () => {
        const url = `${registry.url}/.well-known/terraform.json`;
        const { response, json } = await upstream.readJson<unknown>(url, { signal });
        if (json === undefined) throw new Error(`GET ${redactUrl(url)} answered ${response.status}`);
        const base = providersServiceUrl(json, response.url);
        if (!base) throw new Error(`${redactUrl(url)} names no usable providers.v1 service`);
        return base;
      })();
      services.set(registry.host, found);
      // A failed read is not kept: the next discovery asks again.
      found.catch(() => services.delete(registry.host));
    }
    return found;
  }

  async function readListing(
    address: ProviderAddress,
    init: { validators?: DiscoverOptions['validators']; signal?: AbortSignal },
  ) {
    const registry = registryOf(address);
    const base = await providersBase(registry, init.signal);
    const url = `${base}${address.namespace}/${address.type}/versions`;
    const { response, json } = await upstream.readJson<unknown>(url, init);
    if (response.notModified) return { notModified: true as const };
    if (response.status === 404) {
      throw new NotFoundError(`Provider '${providerId(address)}' not found at ${redactUrl(registry.url)}`);
    }
    if (json === undefined) throw new Error(`GET ${redactUrl(url)} answered ${response.status}`);
    const versions = parseVersionsDocument(json);
    listings.set(providerId(address), versions);
    return { notModified: false as const, versions, validators: response.validators, base };
  }

  const platformsOf = (config: JsonObject) =>
    parseArtifactConfig(terraformArtifactConfigSchema, config).platforms ?? settings.platforms;

  /** The configured platforms a listed version was built for (all of them when the registry does not say). */
  const builtFor = (listed: ListedProviderVersion, platforms: string[]) =>
    listed.platforms ? platforms.filter(p => listed.platforms!.includes(p)) : platforms;

  async function discover(
    request: { id: string; config: JsonObject },
    discoverOptions: DiscoverOptions,
  ): Promise<DiscoveryResult> {
    const address = checkedProviderAddress(request.id);
    const platforms = platformsOf(request.config);
    const read = await readListing(address, discoverOptions);
    if (read.notModified) return { notModified: true };
    // A version without a build for any configured platform has nothing to install.
    const versions = read.versions
      .filter(v => builtFor(v, platforms).length > 0)
      .map((v): ProcessorVersion => ({ version: v.version, files: [], dependencies: [] }));
    return { notModified: false, versions, validators: read.validators };
  }

  /** Reads a metadata file (checksums, signature) whole, under a size limit. */
  async function readSmall(url: string, maxBytes: number, limitKey: string, signal?: AbortSignal): Promise<Buffer> {
    const response = await upstream.read(url, { signal });
    if (response.status !== 200) throw new Error(`GET ${redactUrl(url)} answered ${response.status}`);
    if (response.body.length > maxBytes) {
      throw new Error(`${redactUrl(url)} is larger than ${maxBytes} bytes (backpack.processors.terraform.${limitKey})`);
    }
    return response.body;
  }

  async function describeVersion(
    request: { id: string; config: JsonObject; version: string },
    describeOptions: DiscoverOptions,
  ): Promise<ProcessorVersion> {
    const address = checkedProviderAddress(request.id);
    const id = providerId(address);
    const platforms = platformsOf(request.config);
    const { version } = request;
    if (semver.valid(version) !== version) throw new InputError(`version: '${version}' is not a provider version`);
    const cacheKey = `${id}\0${version}\0${[...platforms].sort().join(',')}`;
    const cached = descriptions.get(cacheKey);
    if (cached) return cached;
    const { signal } = describeOptions;
    let listed = listings.get(id)?.find(v => v.version === version);
    if (!listed) {
      const read = await readListing(address, { signal });
      listed = read.notModified ? undefined : read.versions.find(v => v.version === version);
    }
    if (!listed) throw new NotFoundError(`Provider '${id}' has no version ${version}`);
    const base = await providersBase(registryOf(address), signal);

    const downloads: Array<{ platform: string; download: ProviderDownload }> = [];
    for (const platform of builtFor(listed, platforms)) {
      const [os, arch] = platform.split('_');
      const url = `${base}${address.namespace}/${address.type}/${version}/download/${os}/${arch}`;
      const { response, json } = await upstream.readJson<unknown>(url, { signal });
      // Listings without platforms leave it to the download endpoint to say which exist.
      if (response.status === 404 && !listed.platforms) continue;
      if (json === undefined) throw new Error(`GET ${redactUrl(url)} answered ${response.status}`);
      try {
        const download = parseDownloadDocument(json, response.url);
        // Refused here, the version fails naming the setting; at collection, only its file would.
        for (const field of ['downloadUrl', 'shasumsUrl', 'shasumsSignatureUrl'] as const) {
          try {
            upstream.policy.check(download[field]);
          } catch (error) {
            throw new Error(`${String(error instanceof Error ? error.message : error)} (backpack.processors.terraform.downloadHosts)`);
          }
        }
        downloads.push({ platform, download });
      } catch (error) {
        throw new Error(`${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (downloads.length === 0) return { version, files: [], dependencies: [] };

    // One SHA256SUMS and one signature per release, whatever the platform.
    const { shasumsUrl, shasumsSignatureUrl } = downloads[0].download;
    if (downloads.some(d => d.download.shasumsUrl !== shasumsUrl || d.download.shasumsSignatureUrl !== shasumsSignatureUrl)) {
      throw new Error(`the platforms of ${id} ${version} name different SHA256SUMS files`);
    }
    const sums = await readSmall(shasumsUrl, settings.maxSumsBytes, 'maxSumsBytes', signal);
    const signature = await readSmall(shasumsSignatureUrl, settings.maxSignatureBytes, 'maxSignatureBytes', signal);
    const keys = [...new Set(downloads.flatMap(d => d.download.armoredKeys))];
    await verifySignedSums(sums, signature, keys);
    const digests = parseSha256Sums(sums.toString('utf8'));

    const files: ProcessorFile[] = downloads.map(({ platform, download }) => {
      const signed = digests.get(download.filename);
      if (!signed) throw new Error(`SHA256SUMS of ${id} ${version} does not list ${download.filename}`);
      if (signed !== download.shasum) {
        throw new Error(
          `the download endpoint's shasum of ${download.filename} differs from the signed SHA256SUMS (${download.shasum} vs ${signed})`,
        );
      }
      const name = providerPackageName(address.type, version, platform);
      return { name, uri: download.downloadUrl, path: `${id}/${name}`, integrity: { algorithm: 'sha256', digest: signed } };
    });
    const names = providerSumsNames(address.type, version);
    const sidecar = (name: string, uri: string, bytes: Buffer): ProcessorFile => ({
      name,
      uri,
      path: `${id}/${name}`,
      integrity: { algorithm: 'sha256', digest: createHash('sha256').update(bytes).digest('hex') },
      size: bytes.length,
    });
    files.push(sidecar(names.sums, shasumsUrl, sums), sidecar(names.signature, shasumsSignatureUrl, signature));
    const described = { version, files, dependencies: [] };
    descriptions.set(cacheKey, described);
    return described;
  }

  return {
    name: 'terraform',
    description: `Terraform / OpenTofu providers from ${[...settings.registries.keys()].join(', ')}, per platform, with signed checksums`,
    configSchema: terraformArtifactConfigSchema,
    versions: terraformVersionScheme,
    normalizeId: checkedId,
    allowedHosts: () => hosts,
    discover,
    describeVersion,
  };
}
