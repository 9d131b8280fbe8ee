import { NotFoundError } from '@backstage/errors';
import { nextLink } from '../../upstream/linkHeader';
import { parseUpstreamJson } from '../../upstream/readBoundedBody';
import { UpstreamClient, UpstreamResponse } from '../../upstream/UpstreamClient';
import { redactUrl } from '../../upstream/urls';
import { COMMIT, HubRepo, hubApiPath, hubRepoId, isRepoPath } from './hfNames';

/** Pages of a tree listing followed at most (the Hub pages by 1000 entries or so). */
const MAX_TREE_PAGES = 1000;

/** A revision as the Hub resolves it. */
export interface HubRevision {
  /** The commit the revision names. */
  sha: string;
  /** When the repository last changed at that commit. */
  lastModified?: string;
}

/** A file of a commit's tree. */
export interface HubFile {
  path: string;
  size: number;
  /** Git's blob id of the file as committed (the LFS pointer for LFS files). */
  oid: string;
  /** For files kept in LFS (or Xet): the sha256 and size of the real bytes. */
  lfs?: { sha256: string; size: number };
}

const SHA256 = /^[0-9a-f]{64}$/;
const SIZE = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/**
 * The Hub's API through the gated upstream client: a revision resolved to
 * its commit, and the recursive file listing of a commit with sizes, git
 * blob ids and LFS digests, page by page along `Link` headers.
 */
export class HubApi {
  constructor(
    private readonly client: UpstreamClient,
    private readonly endpoint: string,
  ) {}

  private failure(repo: HubRepo, response: UpstreamResponse, what: string): Error {
    const shown = `${what} of '${hubRepoId(repo)}' (${redactUrl(response.url)})`;
    if (response.status === 404) return new NotFoundError(`${shown} not found`);
    if (response.status === 401 || response.status === 403) {
      return new Error(
        `${shown} answered ${response.status}: the repository is private or gated (token: backpack.processors.huggingface.token)`,
      );
    }
    return new Error(`${shown} answered ${response.status}`);
  }

  /** Resolves a branch, tag or commit; NotFoundError when the Hub does not know it. */
  async revision(repo: HubRepo, revision: string, signal?: AbortSignal): Promise<HubRevision> {
    const url = `${this.endpoint}${hubApiPath(repo)}/revision/${encodeURIComponent(revision)}`;
    const { response, json } = await this.client.getJson<{ sha?: unknown; lastModified?: unknown }>(url, {
      signal,
    });
    if (!json) throw this.failure(repo, response, `revision '${revision}'`);
    if (typeof json.sha !== 'string' || !COMMIT.test(json.sha)) {
      throw new Error(`${redactUrl(response.url)}: sha is not a 40-digit commit id`);
    }
    const lastModified =
      typeof json.lastModified === 'string' && !Number.isNaN(Date.parse(json.lastModified))
        ? json.lastModified
        : undefined;
    return { sha: json.sha, lastModified };
  }

  /**
   * Every file of a commit. Entries that are no well-formed file (a bad
   * path, size or digest) are reported through `onDropped` and left out.
   */
  async files(
    repo: HubRepo,
    commit: string,
    options: { maxFiles: number; signal?: AbortSignal; onDropped: (reason: string) => void },
  ): Promise<HubFile[]> {
    const first = `${this.endpoint}${hubApiPath(repo)}/tree/${commit}?recursive=true&expand=false`;
    const files: HubFile[] = [];
    let url: string | undefined = first;
    for (let page = 0; url; page++) {
      if (page >= MAX_TREE_PAGES) throw new Error(`${redactUrl(first)}: more than ${MAX_TREE_PAGES} pages`);
      const response = await this.client.get(url, { headers: { accept: 'application/json' }, signal: options.signal });
      if (response.status !== 200) throw this.failure(repo, response, `the files of ${commit}`);
      const entries = parseUpstreamJson<unknown>(response.body, response.url);
      if (!Array.isArray(entries)) throw new Error(`${redactUrl(response.url)}: the listing is not a list`);
      for (const entry of entries) {
        const file = parseEntry(entry, options.onDropped);
        if (file) files.push(file);
      }
      if (files.length > options.maxFiles) {
        throw new Error(
          `${hubRepoId(repo)}@${commit}: more than ${options.maxFiles} files (backpack.processors.huggingface.maxFiles)`,
        );
      }
      const next = nextLink(response);
      url = next === undefined ? undefined : sameListing(response.url, next);
    }
    return files;
  }
}

/** The next page, which must be this listing's (same origin and path). */
function sameListing(current: string, link: string): string {
  const next = new URL(link, current);
  const here = new URL(current);
  if (next.origin !== here.origin || next.pathname !== here.pathname) {
    throw new Error(`${redactUrl(current)}: the next page is not this listing`);
  }
  return next.toString();
}

/** A file entry of the listing, checked; undefined for folders and dropped entries. */
function parseEntry(entry: unknown, onDropped: (reason: string) => void): HubFile | undefined {
  if (!entry || typeof entry !== 'object') {
    onDropped('an entry that is not an object');
    return undefined;
  }
  const { type, path, size, oid, lfs } = entry as Record<string, unknown>;
  if (type !== 'file') return undefined;
  const shown = typeof path === 'string' ? JSON.stringify(path.slice(0, 100)) : 'without a path';
  if (typeof path !== 'string' || !isRepoPath(path)) {
    onDropped(`file ${shown}: not a relative path`);
    return undefined;
  }
  if (!SIZE(size) || typeof oid !== 'string' || !/^[0-9a-f]{40}$/.test(oid)) {
    onDropped(`file ${shown}: no size or git blob id`);
    return undefined;
  }
  if (lfs === undefined || lfs === null) return { path, size, oid };
  const { oid: sha256, size: lfsSize } = lfs as Record<string, unknown>;
  if (typeof sha256 !== 'string' || !SHA256.test(sha256) || !SIZE(lfsSize)) {
    onDropped(`file ${shown}: malformed LFS sha256 or size`);
    return undefined;
  }
  return { path, size: lfsSize, oid, lfs: { sha256, size: lfsSize } };
}
