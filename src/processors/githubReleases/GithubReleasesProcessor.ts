import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { parseArtifactConfig, textProblem } from '../../lib/validation';
import { pathSegmentProblem } from '../../storage/fileRefusal';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { isUnderBase } from '../../upstream/urls';
import { BackpackProcessor, DiscoverOptions, DiscoveryResult, ProcessorVersion } from '../types';
import { GithubReleasesApi, ReleaseAsset } from './githubReleasesApi';
import {
  GITHUB_RELEASES,
  githubReleasesArtifactConfigSchema,
  readGithubReleasesSettings,
} from './githubReleasesConfig';
import { ReleaseFileLister } from './releaseFiles';
import { ReleaseTagScheme } from './releaseTagScheme';

/**
 * Options for {@link createGithubReleasesProcessor}.
 *
 * @public
 */
export interface GithubReleasesProcessorOptions {
  /** The `backpack.processors.github-releases` config block. */
  config?: Config;
  /** The root config, for the token of a matching `integrations.github` entry. */
  rootConfig?: Config;
  upstream: UpstreamClient;
}

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,99})$/;
const REPO = /^[A-Za-z0-9_.-]{1,100}$/;
/** The API path of an asset download: answered with the bytes for `Accept: application/octet-stream`. */
const ASSET_PATH = /\/repos\/[^/]+\/[^/]+\/releases\/assets\/\d+$/;

/** `owner/repo`, lower-case (GitHub names are case-insensitive); InputError naming `id` otherwise. */
export function normalizeRepositoryId(id: string): string {
  const parts = id.split('/');
  if (parts.length !== 2 || !OWNER.test(parts[0]) || !REPO.test(parts[1]) || parts[1] === '.' || parts[1] === '..') {
    throw new InputError(`id: '${id.slice(0, 200)}' is not a GitHub repository (owner/repo)`);
  }
  return id.toLowerCase();
}

/**
 * Creates the GitHub releases processor: an artifact is a repository
 * (`owner/repo`) of github.com or a GitHub Enterprise server, a version is
 * a published release's tag (drafts never, pre-releases when configured),
 * its files the assets an `assets` pattern selects plus the release's
 * checksum files. No dependencies.
 *
 * The token (`token`, else the `integrations.github` entry of the same API)
 * is sent to the API's origin only: discovery, checksum files and, with a
 * token, asset downloads through the API, whose redirect to the storage
 * host goes without it.
 *
 * @public
 */
export function createGithubReleasesProcessor(options: GithubReleasesProcessorOptions): BackpackProcessor {
  const { upstream } = options;
  const settings = readGithubReleasesSettings(options.config, options.rootConfig);
  const apiOrigin = new URL(settings.apiUrl).origin;
  const apiHost = new URL(settings.apiUrl).host;
  upstream.policy.allow([apiHost], settings.apiConfigured ? 'operator' : 'default');
  const downloadHostsConfigured = options.config?.has('downloadHosts') ?? false;
  upstream.policy.allow(settings.downloadHosts, downloadHostsConfigured ? 'operator' : 'default');
  const { token } = settings;
  upstream.addAuthenticator(url => url.origin === apiOrigin, {
    accept: url => (ASSET_PATH.test(url.pathname) ? 'application/octet-stream' : undefined),
    authorization: async () => (token ? `Bearer ${token}` : undefined),
    challenge: async () => false,
  });

  const api = new GithubReleasesApi(upstream, settings.apiUrl, settings.maxPages);
  const scheme = new ReleaseTagScheme();
  // With a token, assets come through the API (private repositories need
  // it); without, from their public download URL, sparing the API's rate limit.
  const downloadUrlOf = (asset: ReleaseAsset) =>
    token && isUnderBase(settings.apiUrl, asset.url) ? asset.url : asset.browser_download_url;
  const lister = new ReleaseFileLister({ upstream, maxChecksumBytes: settings.maxChecksumBytes, downloadUrlOf });

  const configOf = (config: JsonObject) => {
    const parsed = parseArtifactConfig(githubReleasesArtifactConfigSchema, config);
    return { ...parsed, includePrereleases: parsed.includePrereleases ?? settings.includePrereleases };
  };
  const split = (id: string) => normalizeRepositoryId(id).split('/') as [string, string];

  async function discover(
    request: { id: string; config: JsonObject },
    discoverOptions: DiscoverOptions,
  ): Promise<DiscoveryResult> {
    const [owner, repo] = split(request.id);
    const config = configOf(request.config);
    const { logger } = discoverOptions;
    const listed = await api.listReleases(owner, repo, discoverOptions);
    if (listed.notModified) return { notModified: true };
    const versions: ProcessorVersion[] = [];
    const seen = new Set<string>();
    for (const release of listed.releases) {
      if (release.draft || (release.prerelease && !config.includePrereleases)) continue;
      const problem = pathSegmentProblem(release.tag) ?? textProblem(release.tag, 255);
      if (problem) {
        logger.warn(`${owner}/${repo}: skipping release tag '${release.tag.slice(0, 64)}': ${problem}`);
        continue;
      }
      // Tags that differ only in case would share a directory of a bundle
      // unpacked on a case-insensitive file system: the newest wins.
      const folded = release.tag.toLowerCase();
      if (seen.has(folded)) {
        logger.warn(`${owner}/${repo}: skipping release tag '${release.tag}': another tag differs only in case`);
        continue;
      }
      seen.add(folded);
      scheme.remember(release.tag, release.publishedAt);
      versions.push({ version: release.tag, publishedAt: release.publishedAt, files: [], dependencies: [] });
    }
    return { notModified: false, versions, validators: listed.validators };
  }

  async function describeVersion(
    request: { id: string; config: JsonObject; version: string },
    describeOptions: DiscoverOptions,
  ): Promise<ProcessorVersion> {
    const [owner, repo] = split(request.id);
    const config = configOf(request.config);
    const where = `${owner}/${repo} ${request.version}`;
    if (pathSegmentProblem(request.version)) throw new NotFoundError(`${where}: no such release`);
    const release = await api.releaseOf(owner, repo, request.version, describeOptions);
    if (release.draft || release.tag !== request.version) throw new NotFoundError(`${where}: no such release`);
    if (release.prerelease && !config.includePrereleases) {
      throw new NotFoundError(`${where}: a pre-release, and includePrereleases is off`);
    }
    const files = await lister.filesOf(release.assets, {
      where,
      pattern: config.assets,
      pathPrefix: `${owner}/${repo}/${release.tag}`,
      logger: describeOptions.logger,
      signal: describeOptions.signal,
    });
    return { version: release.tag, publishedAt: release.publishedAt, files, dependencies: [] };
  }

  return {
    name: GITHUB_RELEASES,
    description: `Release assets of GitHub repositories (${settings.apiUrl}), verified against the release's checksum files`,
    configSchema: githubReleasesArtifactConfigSchema,
    versions: scheme,
    normalizeId: normalizeRepositoryId,
    allowedHosts: () => [apiHost, ...settings.downloadHosts],
    discover,
    describeVersion,
  };
}
