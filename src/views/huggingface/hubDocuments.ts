import { createHash } from 'node:crypto';
import { MirroredFile } from '../../database/MirrorReadStore';
import { HubRepo, repoPathOfFileName } from '../../processors/huggingface/hfNames';

/** What a stored file tells of itself (a view's MirroredFile, a bundle's CollectedFile). */
export type StoredHubFile = Pick<MirroredFile, 'name' | 'size' | 'integrity'>;

/** A mirrored file of a commit as the Hub describes it. */
export interface HubFileEntry<F extends StoredHubFile = MirroredFile> {
  path: string;
  size: number;
  /** Git's blob id of the file as committed: the bytes', or the LFS pointer's. */
  oid: string;
  lfs?: { sha256: string; size: number; pointerSize: number };
  file: F;
}

const gitBlobId = (bytes: Buffer) =>
  createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');

/**
 * The pointer git keeps for an LFS file (git-lfs's spec v1, which the Hub
 * writes): the Hub's listings give its blob id and size, so the view
 * derives them from the file's sha256 and size.
 */
export function lfsPointer(sha256: string, size: number): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`);
}

/**
 * A mirrored file as the Hub lists it, from its verified digest: LFS files
 * by sha256, files kept in git by their blob id. Undefined for a file
 * whose name or digest the Hub could not have given (none, once the
 * processor stored it).
 */
export function hubFileEntry<F extends StoredHubFile>(file: F): HubFileEntry<F> | undefined {
  const path = repoPathOfFileName(file.name);
  const { integrity } = file;
  if (path === undefined || !integrity || file.size === undefined) return undefined;
  if (integrity.algorithm === 'git-blob-sha1') return { path, size: file.size, oid: integrity.digest, file };
  if (integrity.algorithm !== 'sha256') return undefined;
  const pointer = lfsPointer(integrity.digest, file.size);
  return {
    path,
    size: file.size,
    oid: gitBlobId(pointer),
    lfs: { sha256: integrity.digest, size: file.size, pointerSize: pointer.length },
    file,
  };
}

/** A version's stored files as the Hub describes them, leaving out any it could not have listed. */
export function hubFileEntries<F extends StoredHubFile>(files: F[]): Array<HubFileEntry<F>> {
  return files.map(file => hubFileEntry(file)).filter((entry): entry is HubFileEntry<F> => entry !== undefined);
}

/** The entry of `/api/<kind>s/<repo>/revision/<rev>`'s `siblings`. */
export function siblingOf(entry: HubFileEntry<StoredHubFile>) {
  return {
    rfilename: entry.path,
    size: entry.size,
    blobId: entry.oid,
    ...(entry.lfs ? { lfs: entry.lfs } : {}),
  };
}

/** A file of `/api/<kind>s/<repo>/tree/<rev>`. */
export function treeFileOf(entry: HubFileEntry<StoredHubFile>) {
  return {
    type: 'file',
    oid: entry.oid,
    size: entry.size,
    path: entry.path,
    ...(entry.lfs ? { lfs: { oid: entry.lfs.sha256, size: entry.lfs.size, pointerSize: entry.lfs.pointerSize } } : {}),
  };
}

/**
 * A folder of the tree listing. Its `oid` is derived from the mirrored
 * files under it, not git's tree id (which would need every file of the
 * commit, mirrored or not); clients only use it to tell folders apart.
 */
export function treeFolderOf(path: string, entries: Array<HubFileEntry<StoredHubFile>>) {
  const hash = createHash('sha1').update(`backpack-folder\0${path}\0`);
  for (const entry of entries) if (entry.path.startsWith(`${path}/`)) hash.update(`${entry.oid}\0`);
  return { type: 'directory', oid: hash.digest('hex'), size: 0, path };
}

/**
 * The listing of a folder (`''` for the root) as the Hub gives it: its
 * files and folders, or with `recursive` everything below it, folders
 * first at each level as the Hub sorts them.
 */
export function treeListing(entries: Array<HubFileEntry<StoredHubFile>>, folder: string, recursive: boolean) {
  const prefix = folder ? `${folder}/` : '';
  const below = entries.filter(entry => entry.path.startsWith(prefix));
  const folders = new Set<string>();
  const files: Array<HubFileEntry<StoredHubFile>> = [];
  for (const entry of below) {
    const rest = entry.path.slice(prefix.length).split('/');
    if (rest.length === 1 || recursive) files.push(entry);
    const depth = recursive ? rest.length - 1 : Math.min(1, rest.length - 1);
    for (let i = 1; i <= depth; i++) folders.add(prefix + rest.slice(0, i).join('/'));
  }
  return [
    ...[...folders].sort().map(path => treeFolderOf(path, entries)),
    ...files.sort((a, b) => (a.path < b.path ? -1 : 1)).map(treeFileOf),
  ];
}

/**
 * The revision info of a commit (`/api/<kind>s/<repo>/revision/<rev>`),
 * with what `repo_info` needs (`id`, `sha`, `siblings`).
 */
export function revisionDocument(
  repo: HubRepo,
  commit: { sha: string; lastModified?: string },
  entries: Array<HubFileEntry<StoredHubFile>>,
) {
  return {
    _id: commit.sha,
    id: repo.name,
    ...(repo.type === 'model' ? { modelId: repo.name } : {}),
    sha: commit.sha,
    ...(commit.lastModified ? { lastModified: commit.lastModified } : {}),
    private: false,
    gated: false,
    disabled: false,
    siblings: entries.map(siblingOf),
  };
}
