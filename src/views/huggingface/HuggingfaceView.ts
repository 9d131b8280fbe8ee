import { NotFoundError } from '@backstage/errors';
import { Readable } from 'node:stream';
import { BackpackStores } from '../../database/createBackpackStores';
import { MirroredVersion } from '../../database/MirrorReadStore';
import { COMMIT, HubRepo, hubRepoId, isRepoPath } from '../../processors/huggingface/hfNames';
import { parseRevisionRecord } from '../../processors/huggingface/revisionRecord';
import { BlobStore } from '../../storage/BlobStore';
import { ServeAccess } from '../ServeAccess';
import { HubFileEntry, hubFileEntries, revisionDocument, treeListing } from './hubDocuments';

const PROCESSOR = 'huggingface';

/** What huggingface_hub reads from `X-Error-Code` to tell a missing repo, revision and file apart. */
export type HubErrorCode = 'RepoNotFound' | 'RevisionNotFound' | 'EntryNotFound';

/** A 404 of the Hub view, with the Hub's error code (and the commit, for a missing file). */
export class HubNotFoundError extends NotFoundError {
  constructor(
    message: string,
    readonly hubCode: HubErrorCode,
    readonly commit?: string,
  ) {
    super(message);
  }
}

/** A mirrored file as `resolve` answers it. */
export interface HubServedFile {
  commit: string;
  entry: HubFileEntry;
  verified: boolean;
  open(range?: { start: number; end: number }): Promise<{ body: Readable; size: number }>;
}

/** Options of {@link HuggingfaceView}. */
export interface HuggingfaceViewOptions {
  stores: Pick<BackpackStores, 'mirror'>;
  blobStore: BlobStore;
}

/** A mirrored commit with its files as the Hub describes them. */
interface ResolvedCommit {
  repo: HubRepo;
  version: MirroredVersion;
  lastModified?: string;
  entries: HubFileEntry[];
}

/**
 * The Hub's API over the mirror, as huggingface_hub reads it with
 * `HF_ENDPOINT` pointing here: revision info, tree listings and `resolve`
 * downloads, of mirrored commits and only their collected files. A branch
 * or tag name is answered with the commit it named when mirrored (the most
 * recent one, complete ones first); a commit id with itself.
 */
export class HuggingfaceView {
  constructor(private readonly options: HuggingfaceViewOptions) {}

  private async commit(repo: HubRepo, revision: string, access: ServeAccess): Promise<ResolvedCommit> {
    const store = this.options.stores.mirror;
    const id = hubRepoId(repo);
    const artifact = await store.getArtifact(PROCESSOR, id);
    if (!artifact || !access.canRead(artifact)) {
      throw new HubNotFoundError(`repository '${id}' is not mirrored`, 'RepoNotFound');
    }
    const versions = await store.listMirroredVersions(artifact.ref);
    const candidates = versions
      .map(version => ({ version, record: parseRevisionRecord(version.metadata) }))
      .filter(({ version, record }) =>
        COMMIT.test(revision) ? version.version === revision : record?.revisions.includes(revision),
      )
      .sort(
        (a, b) =>
          Number(b.version.complete) - Number(a.version.complete) ||
          (b.version.publishedAt ?? '').localeCompare(a.version.publishedAt ?? ''),
      );
    const found = candidates[0];
    if (!found) throw new HubNotFoundError(`revision '${revision}' of '${id}' is not mirrored`, 'RevisionNotFound');
    const entries = hubFileEntries(found.version.files);
    return { repo, version: found.version, lastModified: found.record?.lastModified, entries };
  }

  /** `/api/<kind>s/<repo>/revision/<rev>`: the commit and its mirrored files as `siblings`. */
  async revisionInfo(repo: HubRepo, revision: string, access: ServeAccess): Promise<object> {
    const { version, lastModified, entries } = await this.commit(repo, revision, access);
    return revisionDocument(repo, { sha: version.version, lastModified }, entries);
  }

  /** `/api/<kind>s/<repo>/tree/<rev>[/<folder>]`: the mirrored files (and folders) of a commit. */
  async tree(
    repo: HubRepo,
    revision: string,
    folder: string,
    recursive: boolean,
    access: ServeAccess,
  ): Promise<object[]> {
    const { entries, version } = await this.commit(repo, revision, access);
    if (folder && !isRepoPath(folder)) throw new HubNotFoundError(`no folder '${folder}'`, 'EntryNotFound');
    const listing = treeListing(entries, folder, recursive);
    if (folder && listing.length === 0) {
      throw new HubNotFoundError(`no folder '${folder}' in ${version.version}`, 'EntryNotFound', version.version);
    }
    return listing;
  }

  /** `/<repo>/resolve/<rev>/<path>`: one collected file of the commit. */
  async resolve(repo: HubRepo, revision: string, path: string, access: ServeAccess): Promise<HubServedFile> {
    const { version, entries } = await this.commit(repo, revision, access);
    const entry = entries.find(candidate => candidate.path === path);
    if (!entry) {
      throw new HubNotFoundError(`'${path}' is not mirrored in ${version.version}`, 'EntryNotFound', version.version);
    }
    const { blobStore } = this.options;
    return {
      commit: version.version,
      entry,
      verified: entry.file.verified,
      async open(range) {
        const blob = await blobStore.get(entry.file.storageKey, range ? { range } : undefined);
        if (!blob) throw new NotFoundError(`${path} is recorded as collected but missing from storage`);
        return blob;
      },
    };
  }
}
