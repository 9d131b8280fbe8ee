import { createHash } from 'node:crypto';
import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { FileIntegrity } from '../../types';
import { UpstreamClient } from '../UpstreamClient';
import {
  BackpackProcessor,
  DiscoverOptions,
  DiscoveryResult,
  ProcessorFile,
  ProcessorVersion,
} from '../types';
import { parseChecksumFile } from './checksums';
import { artifactFilePath, artifactPath, parseMavenId } from './coordinates';
import { EffectivePomBuilder } from './EffectivePomBuilder';
import {
  MavenArtifactConfig,
  mavenArtifactConfigSchema,
  parseMavenArtifactConfig,
  readMavenProcessorSettings,
} from './mavenConfig';
import { mavenDependencies } from './mavenDependencies';
import { mergeMavenConfig } from './mergeMavenConfig';
import { mavenVersionScheme } from './MavenVersionScheme';
import { parseMavenMetadata, parsePom, PomCoordinates, RawPom } from './pom';

/**
 * File extension of the main artifact per packaging, as Maven's artifact
 * handlers define it; `null` for POM-only packaging. Unknown packagings try
 * their own name, then `jar`.
 */
const PACKAGING_EXTENSIONS: Record<string, string | null> = {
  pom: null,
  jar: 'jar',
  bundle: 'jar',
  'maven-plugin': 'jar',
  ejb: 'jar',
  'ejb-client': 'jar',
  'test-jar': 'jar',
  'java-source': 'jar',
  javadoc: 'jar',
  war: 'war',
  ear: 'ear',
  rar: 'rar',
  aar: 'aar',
};

/** Checksum sidecars tried in order; Maven Central always has `.sha1`. */
const SIDECARS: Array<{ suffix: string; algorithm: FileIntegrity['algorithm'] }> = [
  { suffix: '.sha1', algorithm: 'sha1' },
  { suffix: '.sha256', algorithm: 'sha256' },
];

/** Released versions never change; their results are kept across discoveries. */
const VERSION_CACHE_SIZE = 20_000;

/**
 * Options for {@link createMavenProcessor}.
 *
 * @public
 */
export interface MavenProcessorOptions {
  /** The `backpack.processors.maven` config block. */
  config?: Config;
  upstream: UpstreamClient;
}

/**
 * Creates the Maven processor: versions from `maven-metadata.xml`, each
 * version's POM and main artifact with their checksum sidecars, and the
 * dependencies of the effective POM (compile and runtime scope, parent POMs,
 * imported BOMs).
 *
 * @public
 */
export function createMavenProcessor(options: MavenProcessorOptions): BackpackProcessor {
  const { upstream } = options;
  const settings = readMavenProcessorSettings(options.config);
  const versionCache = new Map<string, ProcessorVersion>();

  function repositoryFor(config: MavenArtifactConfig): string {
    if (!config.repository) return settings.repository;
    const repository = config.repository.replace(/\/+$/, '');
    // An artifact must not point the backend at arbitrary hosts.
    if (repository !== settings.repository && !settings.allowedRepositories.includes(repository)) {
      throw new InputError(
        `config.repository: '${config.repository}' is not an allowed repository (configure backpack.processors.maven.allowedRepositories)`,
      );
    }
    return repository;
  }

  async function discover(
    request: { id: string; config: JsonObject },
    discoverOptions: DiscoverOptions,
  ): Promise<DiscoveryResult> {
    const coordinates = parseMavenId(request.id);
    const id = `${coordinates.groupId}:${coordinates.artifactId}`;
    const config = parseMavenArtifactConfig(request.config);
    const repository = repositoryFor(config);
    const { logger, signal } = discoverOptions;
    const warn = (message: string) => logger.warn(message);

    const headers: Record<string, string> = {};
    if (discoverOptions.validators?.etag || discoverOptions.validators?.lastModified) {
      // fetch() sends `Cache-Control: no-cache` with conditional requests
      // unless told otherwise, and caches honouring it never answer 304.
      headers['cache-control'] = 'max-age=0';
    }
    const metadataUrl = `${repository}/${artifactPath(coordinates)}/maven-metadata.xml`;
    const response = await upstream.get(metadataUrl, {
      headers,
      validators: discoverOptions.validators,
      signal,
    });
    if (response.notModified) return { notModified: true };
    if (response.status === 404) {
      throw new NotFoundError(`Maven artifact '${id}' not found at ${repository}`);
    }
    if (response.status !== 200) throw new Error(`GET ${metadataUrl} answered ${response.status}`);
    let metadata;
    try {
      metadata = parseMavenMetadata(response.body.toString('utf8'));
    } catch (error) {
      throw new Error(`${metadataUrl}: malformed maven-metadata.xml: ${error}`);
    }

    // Dependencies inherit where they are fetched from.
    const inheritedConfig: JsonObject = config.repository ? { repository: config.repository } : {};
    const classifiers = [...new Set(config.classifiers ?? [])].sort();

    const get = (path: string) => upstream.get(`${repository}/${path}`, { signal });

    /** The digest from the first sidecar the repository has; undefined when none. */
    async function sidecarIntegrity(path: string): Promise<FileIntegrity | undefined> {
      for (const { suffix, algorithm } of SIDECARS) {
        const sidecar = await get(`${path}${suffix}`);
        if (sidecar.status !== 200) continue;
        const integrity = parseChecksumFile(sidecar.body.toString('utf8'), algorithm);
        if (integrity) return integrity;
        warn(`${repository}/${path}${suffix}: no ${algorithm} digest in the sidecar`);
      }
      return undefined;
    }

    const fileOf = (path: string, integrity?: FileIntegrity, size?: number): ProcessorFile => ({
      name: path.slice(path.lastIndexOf('/') + 1),
      uri: `${repository}/${path}`,
      path,
      ...(integrity ? { integrity } : {}),
      ...(size !== undefined ? { size } : {}),
    });

    async function loadPom(pom: PomCoordinates): Promise<RawPom | undefined> {
      const path = artifactFilePath(pom, pom.version, 'pom');
      const answer = await get(path);
      if (answer.status !== 200) return undefined;
      try {
        return parsePom(answer.body.toString('utf8'));
      } catch (error) {
        warn(`${repository}/${path}: ${error}`);
        return undefined;
      }
    }
    const builder = new EffectivePomBuilder(loadPom, warn);

    async function mainArtifact(
      packaging: string,
      version: string,
    ): Promise<ProcessorFile | undefined> {
      const known = PACKAGING_EXTENSIONS[packaging];
      if (known === null) return undefined;
      const candidates = known ? [known] : [...new Set([packaging, 'jar'])];
      for (const extension of candidates) {
        const path = artifactFilePath(coordinates, version, extension);
        const integrity = await sidecarIntegrity(path);
        if (integrity) return fileOf(path, integrity);
      }
      if (known) {
        // A repository without sidecars still serves the artifact.
        return fileOf(artifactFilePath(coordinates, version, known));
      }
      warn(`${id} ${version}: no artifact found for packaging '${packaging}'`);
      return undefined;
    }

    async function discoverVersion(version: string): Promise<ProcessorVersion | undefined> {
      const pomPath = artifactFilePath(coordinates, version, 'pom');
      const pomResponse = await get(pomPath);
      if (pomResponse.status !== 200) {
        warn(`${repository}/${pomPath} answered ${pomResponse.status}; skipping ${id} ${version}`);
        return undefined;
      }
      let raw: RawPom;
      try {
        raw = parsePom(pomResponse.body.toString('utf8'));
      } catch (error) {
        warn(`${repository}/${pomPath}: ${error}; skipping ${id} ${version}`);
        return undefined;
      }
      const pom = await builder.build(raw);
      // The POM's own bytes are in hand, so its digest is known even without a
      // sidecar. It pins the collected POM to the bytes dependency resolution
      // read, from the same repository a sidecar would come from, so the POM
      // counts as verified; a jar without a sidecar does not.
      const pomIntegrity = (await sidecarIntegrity(pomPath)) ?? {
        algorithm: 'sha1' as const,
        digest: createHash('sha1').update(pomResponse.body).digest('hex'),
      };
      const files = [fileOf(pomPath, pomIntegrity, pomResponse.body.length)];
      const main = await mainArtifact(pom.packaging, version);
      if (main) files.push(main);
      for (const classifier of classifiers) {
        const path = artifactFilePath(coordinates, version, 'jar', classifier);
        const integrity = await sidecarIntegrity(path);
        // Not every version publishes every classifier.
        if (integrity) files.push(fileOf(path, integrity));
      }

      const lastModified = pomResponse.headers.get('last-modified');
      const published = lastModified ? new Date(lastModified) : undefined;
      return {
        version,
        ...(published && !Number.isNaN(published.getTime())
          ? { publishedAt: published.toISOString() }
          : {}),
        files,
        dependencies: mavenDependencies(pom, inheritedConfig, warn),
      };
    }

    const cacheKey = (version: string) =>
      JSON.stringify([repository, id, version, classifiers, inheritedConfig]);
    const versions = await Promise.all(
      metadata.versions.map(async version => {
        // Snapshots need per-version metadata for their timestamped files.
        if (version.endsWith('-SNAPSHOT')) return undefined;
        const key = cacheKey(version);
        const cached = versionCache.get(key);
        if (cached) return cached;
        const result = await discoverVersion(version);
        if (result) {
          if (versionCache.size >= VERSION_CACHE_SIZE) {
            versionCache.delete(versionCache.keys().next().value!);
          }
          versionCache.set(key, result);
        }
        return result;
      }),
    );

    const found = versions.filter((v): v is ProcessorVersion => v !== undefined);
    const tags: Record<string, string> = {};
    if (metadata.latest) tags.latest = metadata.latest;
    if (metadata.release) tags.release = metadata.release;
    return {
      notModified: false,
      versions: found,
      ...(Object.keys(tags).length ? { tags } : {}),
      validators: response.validators,
    };
  }

  const hosts = [settings.repository, ...settings.allowedRepositories].map(
    url => new URL(url).host,
  );
  return {
    name: 'maven',
    description: `Maven artifacts from ${settings.repository}, with their dependency closures`,
    configSchema: mavenArtifactConfigSchema,
    versions: mavenVersionScheme,
    normalizeId: (id: string) => {
      const { groupId, artifactId } = parseMavenId(id);
      return `${groupId}:${artifactId}`;
    },
    mergeConfig: mergeMavenConfig,
    allowedHosts: () => [...new Set(hosts)],
    discover,
  };
}
