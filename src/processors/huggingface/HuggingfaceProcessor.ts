import { Config } from '@backstage/config';
import { NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { parseArtifactConfig } from '../../lib/validation';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { BackpackProcessor, DiscoverOptions, DiscoveryResult, ProcessorFile, ProcessorVersion } from '../types';
import { huggingfaceArtifactConfigSchema, readHuggingfaceSettings } from './hfConfig';
import { createPathFilter } from './hfGlobs';
import {
  encodeRepoPath,
  fileNameOfRepoPath,
  HubRepo,
  hubFilesPath,
  hubRepoId,
  parseHubRepoId,
} from './hfNames';
import { huggingfaceVersionScheme } from './hfVersionScheme';
import { HubApi, HubFile, HubRevision } from './hubApi';
import { formatRevisionRecord } from './revisionRecord';

/**
 * Options for {@link createHuggingfaceProcessor}.
 *
 * @public
 */
export interface HuggingfaceProcessorOptions {
  /** The `backpack.processors.huggingface` config block. */
  config?: Config;
  upstream: UpstreamClient;
}

/** Where a file of a commit is, in the Hub's layout and Backpack's bundles. */
export function huggingfaceFilePath(repo: HubRepo, commit: string, path: string): string {
  return `${hubRepoId(repo)}/${commit}/${path}`;
}

/**
 * Creates the Hugging Face processor: models, datasets and spaces of a Hub
 * (the public one by default). Each configured revision is resolved to its
 * commit, which is the version; the revision names become tags. A
 * version's files are the commit's files the include and exclude globs
 * keep, each verified by its LFS sha256, or by its git blob id when it is
 * kept in git itself. The token goes to the Hub's host only, never to the
 * storage hosts downloads redirect to.
 *
 * @public
 */
export function createHuggingfaceProcessor(options: HuggingfaceProcessorOptions): BackpackProcessor {
  const { upstream } = options;
  const settings = readHuggingfaceSettings(options.config);
  const endpointHost = new URL(settings.endpoint).host;
  upstream.policy.allow([endpointHost], settings.configured ? 'operator' : 'default');
  const downloadHostsConfigured = options.config?.has('downloadHosts') ?? false;
  upstream.policy.allow(settings.downloadHosts, downloadHostsConfigured ? 'operator' : 'default');
  const { token } = settings;
  if (token) {
    // Only ever to the Hub's own host: the transport drops it on a
    // redirect to another origin, and no other host matches.
    upstream.addAuthenticator(url => url.host === endpointHost, {
      authorization: async () => `Bearer ${token}`,
      challenge: async () => false,
    });
  }
  const hub = new HubApi(upstream, settings.endpoint);

  function fileOf(repo: HubRepo, commit: string, file: HubFile): ProcessorFile {
    return {
      name: fileNameOfRepoPath(file.path),
      uri: `${settings.endpoint}${hubFilesPath(repo)}/resolve/${commit}/${encodeRepoPath(file.path)}`,
      path: huggingfaceFilePath(repo, commit, file.path),
      integrity: file.lfs
        ? { algorithm: 'sha256', digest: file.lfs.sha256 }
        : { algorithm: 'git-blob-sha1', digest: file.oid },
      size: file.size,
    };
  }

  async function discover(
    request: { id: string; config: JsonObject },
    discoverOptions: DiscoverOptions,
  ): Promise<DiscoveryResult> {
    const repo = parseHubRepoId(request.id);
    const config = parseArtifactConfig(huggingfaceArtifactConfigSchema, request.config);
    const { signal, logger } = discoverOptions;
    const id = hubRepoId(repo);
    const keep = createPathFilter(config.include, config.exclude);

    const resolved = new Map<string, { revision: HubRevision; names: string[] }>();
    const tags: Record<string, string> = {};
    const missing: string[] = [];
    for (const name of new Set(config.revisions ?? ['main'])) {
      let revision: HubRevision;
      try {
        revision = await hub.revision(repo, name, signal);
      } catch (error) {
        // One revision gone (a deleted branch) leaves the others mirrored.
        if (!(error instanceof NotFoundError)) throw error;
        logger.warn(`${id}: ${error.message}`);
        missing.push(name);
        continue;
      }
      tags[name] = revision.sha;
      const entry = resolved.get(revision.sha) ?? { revision, names: [] };
      entry.names.push(name);
      resolved.set(revision.sha, entry);
    }
    if (resolved.size === 0) {
      throw new NotFoundError(`${id}: none of the revisions ${missing.join(', ')} exists`);
    }

    const versions: ProcessorVersion[] = [];
    for (const [sha, { revision, names }] of resolved) {
      const files = await hub.files(repo, sha, {
        maxFiles: settings.maxFiles,
        signal,
        onDropped: reason => logger.warn(`${id}@${sha}: dropping ${reason}`),
      });
      versions.push({
        version: sha,
        ...(revision.lastModified ? { publishedAt: revision.lastModified } : {}),
        files: files.filter(file => keep(file.path)).map(file => fileOf(repo, sha, file)),
        dependencies: [],
        metadata: formatRevisionRecord({
          sha,
          revisions: names,
          ...(revision.lastModified ? { lastModified: revision.lastModified } : {}),
        }),
      });
    }
    return { notModified: false, versions, tags };
  }

  return {
    name: 'huggingface',
    description: `Models, datasets and spaces from ${settings.endpoint}, at the configured revisions`,
    configSchema: huggingfaceArtifactConfigSchema,
    versions: huggingfaceVersionScheme,
    normalizeId: id => hubRepoId(parseHubRepoId(id)),
    allowedHosts: () => [endpointHost, ...settings.downloadHosts],
    discover,
  };
}
