import { createHash } from 'node:crypto';
import { Config } from '@backstage/config';
import { NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { canonicalJson } from '../../lib/canonicalJson';
import { parseArtifactConfig } from '../../lib/validation';
import { FileIntegrity } from '../../types';
import { DEFAULT_PARSING_LIMITS, ParsingLimits } from '../../upstream/limits';
import { isPathSegment, redactUrl, UnsafeUpstreamPathError, upstreamUrl } from '../../upstream/urls';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import {
  allowConfiguredUpstream,
  allowedUpstreamOverride,
  restrictUpstreamOverride,
} from '../../upstream/upstreamBaseUrl';
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
  readMavenProcessorSettings,
} from './mavenConfig';
import { mavenDependencies } from './mavenDependencies';
import { mergeMavenConfig } from './mergeMavenConfig';
import { mavenVersionScheme } from './MavenVersionScheme';
import { parseMavenMetadata, parsePom, PomCoordinates, RawPom } from './pom';
import { errorMessage } from '../../lib/errorMessage';

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
  /** Parsing limits (`backpack.limits`); documented defaults when left out. */
  limits?: ParsingLimits;
}

/** Packagings used as file extensions must be plain tokens. */
const PACKAGING = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

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
  const limits = options.limits ?? DEFAULT_PARSING_LIMITS;
  const settings = readMavenProcessorSettings(options.config);
  const versionCache = new Map<string, ProcessorVersion>();
  const override = settings.repository;
  const hosts = allowConfiguredUpstream(upstream.policy, override);

  function repositoryFor(config: MavenArtifactConfig): string {
    // Checked again here: stored and inherited configs bypass the API.
    return allowedUpstreamOverride(config.repository, override);
  }

  /**
   * The URL of a repository path built from upstream strings (versions,
   * parent and BOM coordinates, packaging): every segment must be a plain
   * path segment, so nothing can climb out of the repository's base path.
   */
  function fileUrl(repository: string, path: string): string {
    const segments = path.split('/');
    if (!segments.every(isPathSegment)) {
      throw new UnsafeUpstreamPathError(
        `refusing ${JSON.stringify(path.slice(0, 200))}: not a plain repository path`,
      );
    }
    return upstreamUrl(repository, segments);
  }

  async function discover(
    request: { id: string; config: JsonObject },
    discoverOptions: DiscoverOptions,
  ): Promise<DiscoveryResult> {
    const coordinates = parseMavenId(request.id);
    const id = `${coordinates.groupId}:${coordinates.artifactId}`;
    const config = parseArtifactConfig(mavenArtifactConfigSchema, request.config);
    const repository = repositoryFor(config);
    const { logger, signal } = discoverOptions;
    const warn = (message: string) => logger.warn(message);

    // Metadata, POMs and sidecars are plain GETs: through the URL reader.
    const metadataUrl = fileUrl(repository, `${artifactPath(coordinates)}/maven-metadata.xml`);
    const response = await upstream.read(metadataUrl, {
      validators: discoverOptions.validators,
      signal,
    });
    if (response.notModified) return { notModified: true };
    if (response.status === 404) {
      throw new NotFoundError(`Maven artifact '${id}' not found at ${redactUrl(repository)}`);
    }
    if (response.status !== 200) {
      throw new Error(`GET ${redactUrl(response.url)} answered ${response.status}`);
    }
    let metadata;
    try {
      metadata = parseMavenMetadata(response.body.toString('utf8'), limits.xml);
    } catch (error) {
      throw new Error(`${redactUrl(metadataUrl)}: unusable maven-metadata.xml: ${errorMessage(error)}`);
    }
    // Versions become path segments of every URL below.
    const listedVersions = metadata.versions.filter(version => {
      if (isPathSegment(version)) return true;
      warn(`${id}: skipping version ${JSON.stringify(version.slice(0, 100))} of maven-metadata.xml, not a plain path segment`);
      return false;
    });

    // Dependencies inherit where they are fetched from.
    const inheritedConfig: JsonObject = config.repository ? { repository: config.repository } : {};
    const classifiers = [...new Set(config.classifiers ?? [])].sort();

    const get = (path: string) => upstream.read(fileUrl(repository, path), { signal });

    /** The digest from the first sidecar the repository has; undefined when none. */
    async function sidecarIntegrity(path: string): Promise<FileIntegrity | undefined> {
      for (const { suffix, algorithm } of SIDECARS) {
        const sidecar = await get(`${path}${suffix}`);
        if (sidecar.status !== 200) continue;
        const integrity = parseChecksumFile(sidecar.body.toString('utf8'), algorithm);
        if (integrity) return integrity;
        warn(`${redactUrl(repository)}/${path}${suffix}: no ${algorithm} digest in the sidecar`);
      }
      return undefined;
    }

    const fileOf = (path: string, integrity?: FileIntegrity, size?: number): ProcessorFile => ({
      name: path.slice(path.lastIndexOf('/') + 1),
      uri: fileUrl(repository, path),
      path,
      ...(integrity ? { integrity } : {}),
      ...(size !== undefined ? { size } : {}),
    });

    async function loadPom(pom: PomCoordinates): Promise<RawPom | undefined> {
      const path = artifactFilePath(pom, pom.version, 'pom');
      let answer;
      try {
        answer = await get(path);
      } catch (error) {
        // Parent and BOM coordinates come from upstream POMs.
        if (!(error instanceof UnsafeUpstreamPathError)) throw error;
        warn(`${id}: parent or BOM ${pom.groupId}:${pom.artifactId}:${pom.version}: ${error.message}`);
        return undefined;
      }
      if (answer.status !== 200) return undefined;
      try {
        return parsePom(answer.body.toString('utf8'), limits.xml);
      } catch (error) {
        warn(`${redactUrl(answer.url)}: ${errorMessage(error)}`);
        return undefined;
      }
    }
    const builder = new EffectivePomBuilder(loadPom, warn, limits.maven);

    async function mainArtifact(
      packaging: string,
      version: string,
    ): Promise<ProcessorFile | undefined> {
      const known = Object.hasOwn(PACKAGING_EXTENSIONS, packaging)
        ? PACKAGING_EXTENSIONS[packaging]
        : undefined;
      if (known === null) return undefined;
      if (!known && !PACKAGING.test(packaging)) {
        warn(`${id} ${version}: packaging ${JSON.stringify(packaging.slice(0, 100))} is not a file extension; no main artifact`);
        return undefined;
      }
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
        warn(`${redactUrl(pomResponse.url)} answered ${pomResponse.status}; skipping ${id} ${version}`);
        return undefined;
      }
      let raw: RawPom;
      try {
        raw = parsePom(pomResponse.body.toString('utf8'), limits.xml);
      } catch (error) {
        warn(`${redactUrl(pomResponse.url)}: ${errorMessage(error)}; skipping ${id} ${version}`);
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
      // Configs equal as JSON share an entry whatever their key order.
      canonicalJson([repository, id, version, classifiers, inheritedConfig]);
    const versions = await Promise.all(
      listedVersions.map(async version => {
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

  return {
    name: 'maven',
    description: `Maven artifacts from ${settings.repository.defaultUrl}, with their dependency closures`,
    configSchema: restrictUpstreamOverride(mavenArtifactConfigSchema, override),
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
