import { NotFoundError } from '@backstage/errors';
import { Readable } from 'node:stream';
import { StoredArtifact } from '../../database/ArtifactStore';
import { BackpackStores } from '../../database/createBackpackStores';
import { MirroredFile } from '../../database/MirrorReadStore';
import { OCI_FILE_NAMES } from '../../processors/oci/ociClosure';
import { DIGEST, isRepositoryPath, TAG } from '../../processors/oci/ociNames';
import { BlobStore } from '../../storage/BlobStore';
import { readAtMost } from '../../lib/readAtMost';
import { BoundedCache } from '../BoundedCache';
import { ServeAccess } from '../ServeAccess';
import {
  ManifestSummary,
  referrersIndex,
  sha256Of,
  summarizeManifest,
} from './ociStoredManifest';

const PROCESSOR = 'oci';
/** Largest stored manifest served; the processor never collects larger ones by default. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
/** Tags per page of `tags/list` at most, whatever `n` asks for. */
const MAX_TAGS_PAGE = 10_000;

/** A manifest as the view answers it: its bytes as stored, and what they are. */
export interface OciManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  verified: boolean;
}

/** A blob as the view answers it, opened only when the body is sent. */
export interface OciBlob {
  digest: string;
  size: number;
  verified: boolean;
  open(range?: { start: number; end: number }): Promise<{ body: Readable; size: number }>;
}

/** Options of {@link OciView}. */
export interface OciViewOptions {
  stores: Pick<BackpackStores, 'mirror'>;
  blobStore: BlobStore;
}

/**
 * The OCI distribution view over the mirror (`/v2/` at the backend's
 * origin), read-only: names are artifact ids (`<alias>/<path>`; a name
 * without a known alias is looked up under `docker.io/`, which is what a
 * docker daemon using Backpack as its `registry-mirrors` asks for),
 * manifests and blobs by digest and manifests by tag, only where collected
 * in a selected version of an artifact the caller may read, byte for byte.
 */
export class OciView {
  private readonly summaries = new BoundedCache<string, ManifestSummary>(10_000);

  constructor(private readonly options: OciViewOptions) {}

  private async artifactOf(name: string, access: ServeAccess): Promise<StoredArtifact> {
    const missing = () => new NotFoundError(`repository '${name}' is not mirrored`);
    if (!isRepositoryPath(name)) throw missing();
    const store = this.options.stores.mirror;
    const artifact =
      (await store.getArtifact(PROCESSOR, name)) ?? (await store.getArtifact(PROCESSOR, `docker.io/${name}`));
    if (!artifact || !access.canRead(artifact)) throw missing();
    return artifact;
  }

  /** The newest collected file of that name in a selected version of the artifact. */
  private async collected(artifact: StoredArtifact, fileName: string): Promise<MirroredFile | undefined> {
    const found = (await this.options.stores.mirror.listFilesNamed(artifact.ref, fileName))
      .map(entry => entry.file)
      .filter((file): file is MirroredFile => file !== undefined)
      .sort((a, b) => (b.collectedAt ?? '').localeCompare(a.collectedAt ?? ''));
    return found[0];
  }

  /** A manifest by tag or digest; NotFoundError for anything not collected. */
  async manifest(name: string, reference: string, access: ServeAccess): Promise<OciManifest> {
    const artifact = await this.artifactOf(name, access);
    const unknown = () => new NotFoundError(`manifest ${reference} of '${name}' is not mirrored`);
    let fileName: string;
    if (DIGEST.test(reference)) fileName = OCI_FILE_NAMES.manifest(reference);
    else if (TAG.test(reference)) fileName = OCI_FILE_NAMES.tag(reference);
    else throw unknown();
    const file = await this.collected(artifact, fileName);
    if (!file?.integrity) throw unknown();
    const digest = `sha256:${file.integrity.digest}`;
    const blob = await this.options.blobStore.get(file.storageKey);
    const bytes = blob && (await readAtMost(blob.body, MAX_MANIFEST_BYTES));
    // Sent as the digest's bytes: anything else (a damaged store) is not served.
    if (!bytes || sha256Of(bytes) !== digest) throw new NotFoundError(`manifest ${reference} of '${name}' is not available`);
    const summary = summarizeManifest(bytes);
    this.summaries.set(file.storageKey, summary);
    return { digest, mediaType: summary.mediaType, bytes, verified: file.verified };
  }

  /** A blob (or a manifest asked for as a blob) by digest; NotFoundError for anything not collected. */
  async blob(name: string, digest: string, access: ServeAccess): Promise<OciBlob> {
    const artifact = await this.artifactOf(name, access);
    const file = DIGEST.test(digest)
      ? (await this.collected(artifact, OCI_FILE_NAMES.blob(digest))) ??
        (await this.collected(artifact, OCI_FILE_NAMES.manifest(digest)))
      : undefined;
    if (!file) throw new NotFoundError(`blob ${digest} of '${name}' is not mirrored`);
    const { blobStore } = this.options;
    const missing = () => new NotFoundError(`blob ${digest} is recorded as collected but missing from storage`);
    const size = file.size ?? (await blobStore.head(file.storageKey))?.size;
    if (size === undefined) throw missing();
    return {
      digest,
      size,
      verified: file.verified,
      async open(range) {
        const got = await blobStore.get(file.storageKey, range ? { range } : undefined);
        if (!got) throw missing();
        return got;
      },
    };
  }

  /** One page of the tags collected, in lexical order, after `last`. */
  async tags(
    name: string,
    access: ServeAccess,
    page: { n?: number; last?: string } = {},
  ): Promise<{ name: string; tags: string[]; more: boolean }> {
    const artifact = await this.artifactOf(name, access);
    const prefix = OCI_FILE_NAMES.tag('');
    const all = new Set<string>();
    for (const version of await this.options.stores.mirror.listMirroredVersions(artifact.ref)) {
      for (const file of version.files) if (file.name.startsWith(prefix)) all.add(file.name.slice(prefix.length));
    }
    const sorted = [...all].sort().filter(tag => page.last === undefined || tag > page.last);
    const size = Math.min(page.n ?? MAX_TAGS_PAGE, MAX_TAGS_PAGE);
    return { name, tags: sorted.slice(0, size), more: sorted.length > size };
  }

  /**
   * The referrers API: an index of the collected manifests of the
   * repository whose `subject` is `digest`, optionally of one artifact type.
   */
  async referrers(name: string, digest: string, access: ServeAccess, artifactType?: string): Promise<string> {
    const artifact = await this.artifactOf(name, access);
    if (!DIGEST.test(digest)) throw new NotFoundError(`'${digest}' is no digest`);
    const prefix = OCI_FILE_NAMES.manifest('');
    const manifests = new Map<string, MirroredFile>();
    for (const version of await this.options.stores.mirror.listMirroredVersions(artifact.ref)) {
      for (const file of version.files) if (file.name.startsWith(prefix)) manifests.set(file.name.slice(prefix.length), file);
    }
    const found: Array<{ digest: string; summary: ManifestSummary }> = [];
    for (const [manifestDigest, file] of [...manifests.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const summary = await this.summaryOf(file);
      if (summary?.subject !== digest) continue;
      if (artifactType && summary.artifactType !== artifactType) continue;
      found.push({ digest: manifestDigest, summary });
    }
    return referrersIndex(found);
  }

  private async summaryOf(file: MirroredFile): Promise<ManifestSummary | undefined> {
    const cached = this.summaries.get(file.storageKey);
    if (cached) return cached;
    const blob = await this.options.blobStore.get(file.storageKey);
    const bytes = blob && (await readAtMost(blob.body, MAX_MANIFEST_BYTES));
    if (!bytes) return undefined;
    const summary = summarizeManifest(bytes);
    this.summaries.set(file.storageKey, summary);
    return summary;
  }
}
