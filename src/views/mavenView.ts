import { NotFoundError } from '@backstage/errors';
import { createHash } from 'node:crypto';
import { BackpackStores } from '../database/createBackpackStores';
import { MirroredFile } from '../database/MirrorReadStore';
import { BlobStore } from '../storage/BlobStore';
import { pathSegmentProblem } from '../storage/fileRefusal';
import { BoundedCache } from './BoundedCache';
import {
  createMavenMetadataXml,
  MAVEN_CHECKSUM_SUFFIXES,
  MavenChecksumAlgorithm,
  mavenChecksum,
} from './metadata/mavenMetadata';
import { ServeAccess } from './ServeAccess';
import { ServedContent, servedBlob } from './ServedContent';

const PROCESSOR = 'maven';
const METADATA_FILE = 'maven-metadata.xml';

/** Digests computed from stored bytes, for sidecars no digest was stored for. */
const CHECKSUM_CACHE_SIZE = 50_000;

const CONTENT_TYPES: Record<string, string> = {
  pom: 'application/xml',
  xml: 'application/xml',
  jar: 'application/java-archive',
  war: 'application/java-archive',
  ear: 'application/java-archive',
};

function contentTypeOf(path: string): string {
  return CONTENT_TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}

/** Splits `<path><suffix>` for a checksum sidecar suffix. */
function splitChecksum(
  path: string,
): { base: string; algorithm: MavenChecksumAlgorithm } | undefined {
  for (const [suffix, algorithm] of Object.entries(MAVEN_CHECKSUM_SUFFIXES)) {
    if (path.endsWith(suffix)) return { base: path.slice(0, -suffix.length), algorithm };
  }
  return undefined;
}

const text = (body: string): ServedContent => ({
  kind: 'document',
  contentType: 'text/plain; charset=utf-8',
  body,
});

/**
 * The Maven repository view over the mirror: collected files by repository
 * path, `maven-metadata.xml` generated over the mirrored versions, and
 * checksum sidecars for both.
 */
export class MavenView {
  private readonly checksums = new BoundedCache<string, string>(CHECKSUM_CACHE_SIZE);

  constructor(private readonly options: { stores: Pick<BackpackStores, 'mirror'>; blobStore: BlobStore }) {}

  /** Whatever lives at a repository path; NotFoundError for anything not mirrored. */
  async get(path: string, access: ServeAccess): Promise<ServedContent> {
    const segments = path.split('/');
    if (segments.some(s => s === '' || s === '.' || s === '..')) {
      throw new NotFoundError(`No such path: ${path}`);
    }
    const checksum = splitChecksum(path);
    const target = checksum?.base ?? path;

    if (target.endsWith(`/${METADATA_FILE}`)) {
      const xml = await this.metadata(target, access);
      if (checksum) return text(mavenChecksum(xml, checksum.algorithm));
      return { kind: 'document', contentType: 'application/xml', body: xml };
    }

    // A stored file, including a sidecar a processor chose to store itself.
    const file = await this.findFile(path, access);
    if (file) return { kind: 'file', ...servedBlob(this.options.blobStore, file, contentTypeOf(path)) };
    if (checksum) {
      const base = await this.findFile(checksum.base, access);
      if (base) return text(await this.checksumOf(base, checksum.algorithm));
    }
    throw new NotFoundError(`${path} is not mirrored`);
  }

  /**
   * The file at `<group path>/<artifactId>/<version>/<file>`, found by the
   * coordinates the path names (one path names one file of one version).
   */
  private async findFile(path: string, access: ServeAccess): Promise<MirroredFile | undefined> {
    const segments = path.split('/');
    if (segments.length < 4 || segments.some(pathSegmentProblem)) return undefined;
    const [artifactId, version, name] = segments.slice(-3);
    const groupId = segments.slice(0, -3).join('.');
    const found = await this.options.stores.mirror.findCollectedFileOf({
      processor: PROCESSOR,
      id: `${groupId}:${artifactId}`,
      version,
      name,
    });
    if (!found || !access.canRead(found.artifact)) return undefined;
    return found.file;
  }

  /** `<group path>/<artifactId>/maven-metadata.xml` over the complete mirrored versions. */
  private async metadata(path: string, access: ServeAccess): Promise<string> {
    const segments = path.split('/').slice(0, -1);
    if (segments.length < 2) throw new NotFoundError(`${path} is not mirrored`);
    const artifactId = segments[segments.length - 1];
    const groupId = segments.slice(0, -1).join('.');
    const store = this.options.stores.mirror;
    // Version-level metadata (snapshots) and group-level metadata (plugin
    // prefixes) name no mirrored artifact and end here.
    const artifact = await store.getArtifact(PROCESSOR, `${groupId}:${artifactId}`);
    if (!artifact || !access.canRead(artifact)) throw new NotFoundError(`${path} is not mirrored`);
    // A version is listed once all its files are collected: Maven would
    // otherwise pick a version whose jar is still missing.
    const versions = (await store.listMirroredVersions(artifact.ref)).filter(v => v.complete);
    if (versions.length === 0) throw new NotFoundError(`${path} has no complete version`);
    const lastCollected = versions
      .flatMap(v => v.files.map(f => f.collectedAt ?? ''))
      .reduce((a, b) => (a > b ? a : b), '');
    return createMavenMetadataXml({
      groupId,
      artifactId,
      versions: versions.map(v => v.version),
      lastUpdated: lastCollected || new Date(0),
    });
  }

  /** A file's digest: the stored one when it is of that algorithm, else computed once from the bytes. */
  private async checksumOf(file: MirroredFile, algorithm: MavenChecksumAlgorithm): Promise<string> {
    if (file.integrity?.algorithm === algorithm) return file.integrity.digest;
    if (algorithm === 'sha256' && file.sha256) return file.sha256;
    const key = `${file.storageKey}\0${file.sha256 ?? file.integrity?.digest ?? ''}\0${algorithm}`;
    const cached = this.checksums.get(key);
    if (cached) return cached;
    const { body } = await servedBlob(this.options.blobStore, file, '').open();
    const hash = createHash(algorithm);
    for await (const chunk of body) hash.update(chunk as Buffer);
    const digest = hash.digest('hex');
    this.checksums.set(key, digest);
    return digest;
  }
}
