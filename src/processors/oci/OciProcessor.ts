import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { parseArtifactConfig } from '../../lib/validation';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { BoundedCache } from '../../views/BoundedCache';
import { BackpackProcessor, DiscoverOptions, DiscoveryResult, ProcessorVersion } from '../types';
import { closureFiles, tagFile } from './ociClosure';
import {
  mergeOciConfig,
  OciArtifactConfig,
  ociArtifactConfigSchema,
  OciProcessorSettings,
  readOciProcessorSettings,
} from './ociConfig';
import { OciAuthenticator } from './OciAuthenticator';
import { Descriptor, FetchedManifest } from './ociManifest';
import { DIGEST, parseOciId, REFERRER_TAG, TAG } from './ociNames';
import { OciRepository } from './OciRepository';
import { ociVersionScheme } from './ociVersionScheme';

/** Manifests kept by digest (they never change), and the largest one kept. */
const MANIFEST_CACHE_ENTRIES = 2000;
const MANIFEST_CACHE_MAX_BYTES = 64 * 1024;
/** How long a registry that has no referrers API is not asked again. */
const NO_REFERRERS_API_MS = 60 * 60_000;

/**
 * Options for {@link createOciProcessor}.
 *
 * @public
 */
export interface OciProcessorOptions {
  /** The `backpack.processors.oci` config block. */
  config?: Config;
  upstream: UpstreamClient;
}

/**
 * Creates the OCI processor: container images and any OCI artifact from
 * registries named by alias (`backpack.processors.oci.registries`, with
 * Docker Hub, GHCR, Quay and registry.k8s.io built in). Artifact ids are
 * `<alias>/<path>`; versions are tags, listed cheaply and described on
 * demand: a tag's closure is its index, the platform manifests, their
 * config and layer blobs and the referrers of each, all content-addressed.
 * Registry authentication (token flow, basic) is registered on the shared
 * transport, so collection authenticates the same way.
 *
 * @public
 */
export function createOciProcessor(options: OciProcessorOptions): BackpackProcessor {
  const { upstream } = options;
  const settings = readOciProcessorSettings(options.config);
  const aliases = new Set(settings.registries.keys());
  const hosts = registerRegistries(settings, upstream);
  const manifests = new BoundedCache<string, FetchedManifest>(MANIFEST_CACHE_ENTRIES);
  const tagEtags = new BoundedCache<string, { etag: string; manifest: FetchedManifest }>(MANIFEST_CACHE_ENTRIES);
  const referrerTags = new BoundedCache<string, Map<string, string[]>>(1000);
  const noReferrersApi = new Map<string, number>();

  function repositoryOf(id: string): OciRepository {
    const { alias, path } = parseOciId(id, aliases);
    return new OciRepository(settings.registries.get(alias)!, path, upstream, settings.maxManifestBytes);
  }

  function configOf(config: JsonObject): Required<Omit<OciArtifactConfig, 'platforms'>> & OciArtifactConfig {
    const parsed = parseArtifactConfig(ociArtifactConfigSchema, config);
    return {
      platforms: parsed.platforms ?? settings.platforms,
      referrers: parsed.referrers ?? settings.referrers,
      includeForeignLayers: parsed.includeForeignLayers ?? settings.includeForeignLayers,
    };
  }

  const cacheKey = (repository: OciRepository, reference: string) =>
    `${repository.registry.origin}/${repository.name}@${reference}`;

  /** Tags of the cosign scheme by the hex of the digest they refer to. */
  function byReferredDigest(tags: string[]): Map<string, string[]> {
    const result = new Map<string, string[]>();
    for (const tag of tags) {
      const match = REFERRER_TAG.exec(tag);
      if (match) result.set(match[1], [...(result.get(match[1]) ?? []), tag]);
    }
    return result;
  }

  async function discover(request: { id: string; config: JsonObject }, discoverOptions: DiscoverOptions): Promise<DiscoveryResult> {
    const repository = repositoryOf(request.id);
    configOf(request.config);
    const listing = await repository.listTags({
      maxTags: settings.maxTags,
      validators: discoverOptions.validators,
      signal: discoverOptions.signal,
    });
    if (listing.notModified) return { notModified: true };
    if (listing.dropped > 0) {
      discoverOptions.logger.warn(`${request.id}: ${listing.dropped} listed tags are no valid tag names and were left out`);
    }
    referrerTags.set(cacheKey(repository, ''), byReferredDigest(listing.tags));
    // Tags of the cosign scheme are referrers of other versions, not versions.
    const versions = listing.tags
      .filter(tag => !REFERRER_TAG.test(tag))
      .map((version): ProcessorVersion => ({ version, files: [], dependencies: [] }));
    return { notModified: false, versions, validators: listing.validators };
  }

  async function describeVersion(
    request: { id: string; config: JsonObject; version: string },
    describeOptions: DiscoverOptions,
  ): Promise<ProcessorVersion> {
    const { version } = request;
    const { signal } = describeOptions;
    const repository = repositoryOf(request.id);
    const config = configOf(request.config);
    if (!TAG.test(version) && !DIGEST.test(version)) {
      throw new InputError(`version: '${version}' is neither a tag nor a sha256 digest`);
    }

    const fetchManifest = async (reference: string): Promise<FetchedManifest> => {
      if (DIGEST.test(reference)) {
        const cached = manifests.get(cacheKey(repository, reference));
        if (cached) return cached;
      }
      // A tag's answer is kept with its ETag: a tag that did not move answers 304.
      const tagged = DIGEST.test(reference) ? undefined : tagEtags.get(cacheKey(repository, reference));
      const answer = await repository.getManifest(reference, { etag: tagged?.etag, signal });
      if ('notModified' in answer) {
        if (!tagged) throw new Error(`manifest ${reference} answered 304 to an unconditional request`);
        return tagged.manifest;
      }
      if (answer.bytes.length <= MANIFEST_CACHE_MAX_BYTES) {
        manifests.set(cacheKey(repository, answer.digest), answer);
        if (answer.etag && !DIGEST.test(reference)) {
          tagEtags.set(cacheKey(repository, reference), { etag: answer.etag, manifest: answer });
        }
      }
      return answer;
    };

    const fetchReferrers = async (digest: string): Promise<Descriptor[] | undefined> => {
      const origin = repository.registry.origin;
      if ((noReferrersApi.get(origin) ?? 0) > Date.now()) return undefined;
      const found = await repository.referrers(digest, signal);
      if (found === undefined) noReferrersApi.set(origin, Date.now() + NO_REFERRERS_API_MS);
      return found;
    };

    let tags = referrerTags.get(cacheKey(repository, ''));
    if (!tags && config.referrers) {
      // Not listed in this process yet; a repository without tags has none.
      const listing = await repository
        .listTags({ maxTags: settings.maxTags, signal })
        .catch(error => (error?.name === 'NotFoundError' ? undefined : Promise.reject(error)));
      tags = listing && !listing.notModified ? byReferredDigest(listing.tags) : new Map();
      referrerTags.set(cacheKey(repository, ''), tags);
    }
    const root = await fetchManifest(version);
    const files = await closureFiles(root, {
      repository,
      platforms: config.platforms,
      referrers: config.referrers,
      includeForeignLayers: config.includeForeignLayers,
      maxObjects: settings.maxObjectsPerVersion,
      referrerTags: tags ?? new Map(),
      fetchManifest,
      fetchReferrers,
    });
    if (TAG.test(version)) files.unshift(tagFile(repository, version, root));
    return { version, files, dependencies: [] };
  }

  return {
    name: 'oci',
    description: `Container images and OCI artifacts with their closures, from registries ${[...aliases].join(', ')}`,
    configSchema: ociArtifactConfigSchema,
    versions: ociVersionScheme,
    normalizeId: (id: string) => {
      const { alias, path } = parseOciId(id, aliases);
      return `${alias}/${path}`;
    },
    mergeConfig: (a, b) =>
      mergeOciConfig(
        parseArtifactConfig(ociArtifactConfigSchema, a),
        parseArtifactConfig(ociArtifactConfigSchema, b),
      ) as JsonObject,
    allowedHosts: () => hosts,
    discover,
    describeVersion,
  };
}

/**
 * Lets every registry, and the hosts it sends clients to, through the host
 * policy (configured ones as the operator's, built-ins as public-only
 * defaults) and registers its authenticator on the shared transport.
 */
function registerRegistries(settings: OciProcessorSettings, upstream: UpstreamClient): string[] {
  const hosts: string[] = [];
  for (const registry of settings.registries.values()) {
    const registryHosts = [registry.origin, ...registry.hosts];
    upstream.policy.allow(registryHosts, registry.trust);
    hosts.push(...registryHosts.map(h => (h.includes('://') ? new URL(h).host : h)));
    const authenticator = new OciAuthenticator(registry, upstream);
    upstream.addAuthenticator(authenticator.matches, authenticator);
  }
  return [...new Set(hosts)];
}
