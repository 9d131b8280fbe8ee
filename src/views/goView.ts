import { NotFoundError } from '@backstage/errors';
import { BackpackStores } from '../database/createBackpackStores';
import { StoredArtifact } from '../database/ArtifactStore';
import { parseGoVersion } from '../processors/go/goSemver';
import { GO_MOD_ONLY } from '../processors/go/goVersionScheme';
import { modulePathProblem, unescapeModulePath } from '../processors/go/modulePath';
import { BlobStore } from '../storage/BlobStore';
import { goLatestVersion, goVersionInfo, goVersionList, GoMirroredVersion } from './metadata/goProxy';
import { ServeAccess } from './ServeAccess';
import { ServedContent, servedBlob } from './ServedContent';

const PROCESSOR = 'go';

const CONTENT_TYPES = {
  info: 'application/json',
  mod: 'text/plain; charset=utf-8',
  zip: 'application/zip',
} as const;

const text = (body: string): ServedContent => ({ kind: 'document', contentType: 'text/plain; charset=utf-8', body });
const json = (body: string): ServedContent => ({ kind: 'document', contentType: CONTENT_TYPES.info, body });

/** What a GOPROXY path asks for. */
type GoProxyRequest =
  | { module: string; kind: 'list' | 'latest' }
  | { module: string; kind: 'info' | 'mod' | 'zip'; version: string };

/** Parses `<module>/@v/list`, `<module>/@v/<version>.<ext>`, `<module>/@latest` (case-encoded). */
export function parseGoProxyPath(path: string): GoProxyRequest | undefined {
  const latest = /^(.+)\/@latest$/.exec(path);
  const list = /^(.+)\/@v\/list$/.exec(path);
  const file = /^(.+)\/@v\/([^/]+)\.(info|mod|zip)$/.exec(path);
  const escapedModule = (latest ?? list ?? file)?.[1];
  const module = escapedModule === undefined ? undefined : unescapeModulePath(escapedModule);
  if (module === undefined || modulePathProblem(module)) return undefined;
  if (latest) return { module, kind: 'latest' };
  if (list) return { module, kind: 'list' };
  const version = unescapeModulePath(file![2]);
  if (version === undefined || !parseGoVersion(version)) return undefined;
  return { module, kind: file![3] as 'info' | 'mod' | 'zip', version };
}

/**
 * A GOPROXY over the mirror (`GOPROXY=<backend>/api/backpack/go`): only
 * mirrored module versions. `@v/list` and `@latest` name versions whose
 * go.mod and zip are collected; a `.mod` is served also for versions mirrored for
 * their go.mod alone (the go command reads those while loading the module
 * graph); `.info` is the proxy's as collected, or generated from the
 * version and its publication time.
 * Anything else is a 404, which tells the go command the proxy lacks it.
 */
export class GoView {
  constructor(private readonly options: { stores: Pick<BackpackStores, 'mirror'>; blobStore: BlobStore }) {}

  async get(path: string, access: ServeAccess): Promise<ServedContent> {
    const request = parseGoProxyPath(path);
    if (!request) throw new NotFoundError(`${path} is not a GOPROXY path`);
    const store = this.options.stores.mirror;
    const artifact = await store.getArtifact(PROCESSOR, request.module);
    if (!artifact || !access.canRead(artifact)) {
      throw new NotFoundError(`Go module '${request.module}' is not mirrored`);
    }
    switch (request.kind) {
      case 'list':
        return text(goVersionList(await this.versions(artifact)));
      case 'latest': {
        const latest = goLatestVersion(await this.versions(artifact));
        if (!latest) throw new NotFoundError(`Go module '${request.module}' has no mirrored version`);
        return this.info(artifact, latest.version, latest);
      }
      case 'info': {
        const found = (await this.versions(artifact)).find(
          v => v.version === request.version || v.version === `${request.version}${GO_MOD_ONLY}`,
        );
        if (!found) throw new NotFoundError(`${request.module}@${request.version} is not mirrored`);
        return this.info(artifact, request.version, found);
      }
      default: {
        // A go.mod is stored with the full version, or alone.
        const versions = request.kind === 'mod' ? [request.version, `${request.version}${GO_MOD_ONLY}`] : [request.version];
        const file = await this.file(artifact, versions, `${request.version}.${request.kind}`, request.kind);
        if (!file) throw new NotFoundError(`${request.module}@${request.version}.${request.kind} is not mirrored`);
        return file;
      }
    }
  }

  /** The proxy's `.info` as collected, else one generated from the version. */
  private async info(artifact: StoredArtifact, version: string, mirrored: GoMirroredVersion): Promise<ServedContent> {
    const stored = await this.file(artifact, [version], `${version}.info`, 'info');
    return stored ?? json(goVersionInfo(version, mirrored.publishedAt));
  }

  /** The first collected file of that name among the walk versions. */
  private async file(
    artifact: StoredArtifact,
    versions: string[],
    name: string,
    kind: keyof typeof CONTENT_TYPES,
  ): Promise<ServedContent | undefined> {
    for (const version of versions) {
      const found = await this.options.stores.mirror.findCollectedFileOf({
        processor: PROCESSOR,
        id: artifact.id,
        version,
        name,
      });
      if (found) return { kind: 'file', ...servedBlob(this.options.blobStore, found.file, CONTENT_TYPES[kind]) };
    }
    return undefined;
  }

  private async versions(artifact: StoredArtifact): Promise<GoMirroredVersion[]> {
    return (await this.options.stores.mirror.listMirroredVersions(artifact.ref)).map(v => ({
      version: v.version,
      publishedAt: v.publishedAt,
      files: v.files.map(f => f.name),
    }));
  }
}
