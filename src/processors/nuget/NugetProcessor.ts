import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { BoundedCache } from '../../views/BoundedCache';
import { parseArtifactConfig } from '../../lib/validation';
import { redactUrl } from '../../upstream/urls';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { allowConfiguredUpstream } from '../../upstream/upstreamBaseUrl';
import {
  BackpackProcessor,
  DiscoverOptions,
  DiscoveryResult,
  ProcessorDependency,
  ProcessorVersion,
} from '../types';
import { nugetArtifactConfigSchema, readNugetProcessorSettings } from './nugetConfig';
import {
  hexDigest,
  NugetCatalogEntry,
  parseCatalogEntry,
  registrationPages,
  serviceResource,
} from './nugetDocuments';
import { nearestGroup, parseTargetFramework } from './nugetFrameworks';
import { nugetPackageFileName, normalizeNugetId } from './nugetNames';
import { normalizeNugetVersion, nugetVersionScheme } from './nugetVersion';

/** Registration resources, newest first: 3.6.0 lists SemVer 2.0.0 packages too. */
const REGISTRATION_TYPES = ['RegistrationsBaseUrl/3.6.0', 'RegistrationsBaseUrl/3.4.0', 'RegistrationsBaseUrl'];
const PACKAGE_BASE_TYPE = 'PackageBaseAddress/3.0.0';

/** Registration pages fetched for one package; nuget.org pages hold 64 versions each. */
const MAX_REGISTRATION_PAGES = 500;

/** Packages whose catalog entries are kept between a discovery and the descriptions of its versions. */
const ENTRY_CACHE_SIZE = 2_000;

/**
 * Options for {@link createNugetProcessor}.
 *
 * @public
 */
export interface NugetProcessorOptions {
  /** The `backpack.processors.nuget` config block. */
  config?: Config;
  upstream: UpstreamClient;
}

/**
 * Creates the NuGet processor: packages from a v3 feed (service index,
 * registration pages, flat container), one `.nupkg` per version verified
 * by the catalog's SHA-512, and the dependency group nearest to each
 * configured project framework as dependencies.
 *
 * @public
 */
export function createNugetProcessor(options: NugetProcessorOptions): BackpackProcessor {
  const { upstream } = options;
  const settings = readNugetProcessorSettings(options.config);
  const serviceIndexUrl = settings.serviceIndex.defaultUrl;
  const hosts = allowConfiguredUpstream(upstream.policy, settings.serviceIndex);
  let resources: Promise<{ registrations: string; packageBase?: string }> | undefined;
  const entries = new BoundedCache<string, Map<string, NugetCatalogEntry>>(ENTRY_CACHE_SIZE);

  const serviceResources = (signal?: AbortSignal) => {
    resources ??= (async () => {
      const { response, json } = await upstream.readJson<unknown>(serviceIndexUrl, { signal });
      if (!json) throw new Error(`GET ${redactUrl(serviceIndexUrl)} answered ${response.status}`);
      const registrations = serviceResource(json, REGISTRATION_TYPES);
      if (!registrations) {
        throw new Error(`${redactUrl(serviceIndexUrl)} names no RegistrationsBaseUrl resource`);
      }
      return { registrations, packageBase: serviceResource(json, [PACKAGE_BASE_TYPE]) };
    })();
    // A failed read is not kept: the next discovery asks again.
    resources.catch(() => (resources = undefined));
    return resources;
  };

  const checkedId = (id: string) => {
    const normalized = normalizeNugetId(id);
    if (!normalized) throw new InputError(`id: '${id}' is not a valid NuGet package id`);
    return normalized;
  };

  /** Every catalog entry of a package by normalised version, from its registration pages. */
  async function readRegistration(
    id: string,
    init: { validators?: DiscoverOptions['validators']; signal?: AbortSignal },
  ) {
    const { registrations } = await serviceResources(init.signal);
    const url = `${registrations}${encodeURIComponent(id)}/index.json`;
    const { response, json } = await upstream.readJson<unknown>(url, init);
    if (response.notModified) return { notModified: true as const };
    if (response.status === 404) {
      throw new NotFoundError(`NuGet package '${id}' not found at ${redactUrl(serviceIndexUrl)}`);
    }
    if (!json) throw new Error(`GET ${redactUrl(url)} answered ${response.status}`);
    const byVersion = new Map<string, NugetCatalogEntry>();
    const pages = registrationPages(json);
    if (pages.length > MAX_REGISTRATION_PAGES) {
      throw new Error(`${redactUrl(url)} has ${pages.length} pages, more than ${MAX_REGISTRATION_PAGES}`);
    }
    for (const page of pages) {
      let leaves = page.leaves;
      if (!leaves && page.url) {
        const fetched = await upstream.readJson<unknown>(page.url, { signal: init.signal });
        if (!fetched.json) throw new Error(`GET ${redactUrl(page.url)} answered ${fetched.response.status}`);
        leaves = registrationPages({ items: [fetched.json] })[0]?.leaves ?? [];
      }
      for (const leaf of leaves ?? []) {
        const entry = parseCatalogEntry(leaf.entry);
        const version = entry && normalizeNugetVersion(entry.version);
        if (!entry || !version) continue;
        byVersion.set(version, { ...entry, packageContent: leaf.packageContent ?? entry.packageContent });
      }
    }
    entries.set(`${serviceIndexUrl}\0${id}`, byVersion);
    return { notModified: false as const, byVersion, validators: response.validators };
  }

  async function discover(
    request: { id: string; config: JsonObject },
    discoverOptions: DiscoverOptions,
  ): Promise<DiscoveryResult> {
    const id = checkedId(request.id);
    parseArtifactConfig(nugetArtifactConfigSchema, request.config);
    const read = await readRegistration(id, discoverOptions);
    if (read.notModified) return { notModified: true };
    // Unlisted versions are never chosen for a range by NuGet clients.
    const versions = [...read.byVersion]
      .filter(([, entry]) => entry.listed)
      .map(([version, entry]): ProcessorVersion => ({
        version,
        ...(entry.published ? { publishedAt: entry.published } : {}),
        files: [],
        dependencies: [],
      }));
    return { notModified: false, versions, validators: read.validators };
  }

  async function describeVersion(
    request: { id: string; config: JsonObject; version: string },
    describeOptions: DiscoverOptions,
  ): Promise<ProcessorVersion> {
    const id = checkedId(request.id);
    const config = parseArtifactConfig(nugetArtifactConfigSchema, request.config);
    const version = normalizeNugetVersion(request.version);
    if (!version) throw new InputError(`version: '${request.version}' is not a NuGet version`);
    const { signal } = describeOptions;
    let entry = entries.get(`${serviceIndexUrl}\0${id}`)?.get(version);
    if (!entry) {
      const read = await readRegistration(id, { signal });
      entry = read.notModified ? undefined : read.byVersion.get(version);
    }
    if (!entry) throw new NotFoundError(`NuGet package '${id}' has no version ${version}`);
    if (!entry.packageHash && entry.leafUrl) {
      // Registration pages leave the hash to the catalog leaf.
      const leaf = await upstream.readJson<unknown>(entry.leafUrl, { signal });
      const parsed = leaf.json === undefined ? undefined : parseCatalogEntry(leaf.json);
      if (parsed) entry = { ...parsed, packageContent: entry.packageContent ?? parsed.packageContent };
    }
    const { packageBase } = await serviceResources(signal);
    const lower = version.toLowerCase();
    const name = nugetPackageFileName(id, version);
    const uri =
      entry.packageContent ??
      (packageBase && `${packageBase}${encodeURIComponent(id)}/${encodeURIComponent(lower)}/${name}`);
    if (!uri) throw new Error(`NuGet package '${id}' ${version} has no packageContent and the feed no flat container`);
    const sha512 =
      entry.packageHashAlgorithm?.toUpperCase() === 'SHA512' ? hexDigest(entry.packageHash, 64) : undefined;
    const frameworks = config.frameworks ?? settings.frameworks;
    return {
      version,
      ...(entry.published ? { publishedAt: entry.published } : {}),
      files: [
        {
          name,
          uri,
          path: `${id}/${lower}/${name}`,
          ...(sha512 ? { integrity: { algorithm: 'sha512', digest: sha512 } } : {}),
          ...(entry.packageSize !== undefined ? { size: entry.packageSize } : {}),
        },
      ],
      dependencies: dependenciesFor(entry, frameworks, config.frameworks ? { frameworks } : {}),
    };
  }

  return {
    name: 'nuget',
    description: `NuGet packages from ${serviceIndexUrl}, with their dependency closures`,
    configSchema: nugetArtifactConfigSchema,
    versions: nugetVersionScheme,
    normalizeId: checkedId,
    allowedHosts: () => [...new Set(hosts)],
    discover,
    describeVersion,
  };
}

/**
 * The union of the dependency groups nearest to each project framework; a
 * dependency without a range (any version) gets NuGet's meaning, `>= 0.0.0`.
 */
export function dependenciesFor(
  entry: Pick<NugetCatalogEntry, 'dependencyGroups'>,
  frameworks: string[],
  config: JsonObject,
): ProcessorDependency[] {
  const groups = entry.dependencyGroups.map(g => parseTargetFramework(g.targetFramework));
  const chosen = new Set<number>();
  for (const name of frameworks) {
    const project = parseTargetFramework(name);
    const index = project ? nearestGroup(project, groups) : -1;
    if (index >= 0) chosen.add(index);
  }
  const byKey = new Map<string, ProcessorDependency>();
  for (const index of [...chosen].sort((a, b) => a - b)) {
    for (const dependency of entry.dependencyGroups[index].dependencies) {
      const id = normalizeNugetId(dependency.id);
      const range = dependency.range?.trim() || '0.0.0';
      if (!id) {
        const key = `!${dependency.id}`;
        byKey.set(key, {
          processor: 'nuget',
          id: dependency.id,
          range,
          kind: 'runtime',
          config,
          unresolvable: `'${dependency.id}' is not a valid NuGet package id`,
        });
        continue;
      }
      byKey.set(`${id}\0${range}`, { processor: 'nuget', id, range, kind: 'runtime', config });
    }
  }
  return [...byKey.values()];
}
