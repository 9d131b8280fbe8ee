import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { z } from 'zod';
import { UpstreamClient, UpstreamResponse } from '../../upstream/UpstreamClient';
import { parseUpstreamJson } from '../../upstream/readBoundedBody';
import { isUnderBase, redactUrl, upstreamUrl } from '../../upstream/urls';
import { DiscoveryValidators } from '../types';

/** A release asset, as much of it as Backpack reads. */
const assetSchema = z.object({
  id: z.number().int(),
  name: z.string().min(1).max(1024),
  size: z.number().int().nonnegative().optional(),
  /** The API's download URL (`Accept: application/octet-stream`), which works with a token. */
  url: z.string().max(4096),
  browser_download_url: z.string().max(4096),
  /** `sha256:<hex>` on releases since mid 2025. */
  digest: z.string().max(200).nullish(),
  updated_at: z.string().max(64).nullish(),
});

const releaseSchema = z.object({
  tag_name: z.string().min(1).max(512),
  draft: z.boolean().optional(),
  prerelease: z.boolean().optional(),
  published_at: z.string().max(64).nullish(),
  assets: z.array(z.unknown()).max(10_000).optional(),
});

/** A release asset of the GitHub API. */
export type ReleaseAsset = z.infer<typeof assetSchema>;

/** A release of the GitHub API, with the assets that parsed. */
export interface Release {
  tag: string;
  draft: boolean;
  prerelease: boolean;
  publishedAt?: string;
  assets: ReleaseAsset[];
}

const HEADERS = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };

/** `rel="next"` of a Link header. */
export function nextLink(link: string | null): string | undefined {
  for (const part of link?.split(',') ?? []) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match && /(?:^|;)\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(match[2])) {
      return match[1];
    }
  }
  return undefined;
}

function parseRelease(value: unknown, where: string, logger: LoggerService): Release | undefined {
  const parsed = releaseSchema.safeParse(value);
  if (!parsed.success) {
    logger.warn(`${where}: skipping a release the API described in an unexpected shape`);
    return undefined;
  }
  const release = parsed.data;
  const assets: ReleaseAsset[] = [];
  for (const raw of release.assets ?? []) {
    const asset = assetSchema.safeParse(raw);
    if (asset.success) assets.push(asset.data);
    else logger.warn(`${where} ${release.tag_name.slice(0, 64)}: skipping an asset in an unexpected shape`);
  }
  return {
    tag: release.tag_name,
    draft: release.draft ?? false,
    prerelease: release.prerelease ?? false,
    publishedAt: release.published_at ?? undefined,
    assets,
  };
}

function failure(response: UpstreamResponse, what: string): Error {
  if (response.status === 404) return new NotFoundError(`${what} not found (${redactUrl(response.url)})`);
  if ((response.status === 403 || response.status === 429) && response.headers.get('x-ratelimit-remaining') === '0') {
    const reset = Number(response.headers.get('x-ratelimit-reset'));
    const at = Number.isSafeInteger(reset) && reset > 0 ? ` until ${new Date(reset * 1000).toISOString()}` : '';
    return new Error(
      `${what}: the GitHub API's rate limit is used up${at} (a token raises it: backpack.processors.github-releases.token)`,
    );
  }
  // 401, 403 (rate limit, no access): the body is never read, so never echoed.
  return new Error(`${what}: GET ${redactUrl(response.url)} answered ${response.status}`);
}

/** Reads releases of a repository from the GitHub (or GitHub Enterprise) REST API. */
export class GithubReleasesApi {
  constructor(
    private readonly upstream: UpstreamClient,
    private readonly apiUrl: string,
    private readonly maxPages: number,
  ) {}

  /**
   * Every release, newest first, following `Link: rel="next"` within the
   * API's base URL for at most `maxPages` pages (a warning says when more
   * were left). Conditional on `validators` when the repository's releases
   * fit on one page: with more, a change on a later page would not change
   * the first page's ETag.
   */
  async listReleases(
    owner: string,
    repo: string,
    options: { logger: LoggerService; signal?: AbortSignal; validators?: DiscoveryValidators },
  ): Promise<{ notModified: true } | { notModified: false; releases: Release[]; validators?: DiscoveryValidators }> {
    const where = `${owner}/${repo}`;
    let url: string | undefined = `${upstreamUrl(this.apiUrl, ['repos', owner, repo, 'releases'])}?per_page=100`;
    const releases: Release[] = [];
    let validators: DiscoveryValidators | undefined;
    for (let page = 1; url; page++) {
      if (page > this.maxPages) {
        options.logger.warn(
          `${where}: more than ${this.maxPages} pages of releases; the oldest were left out (backpack.processors.github-releases.maxPages)`,
        );
        break;
      }
      const response: UpstreamResponse = await this.upstream.get(url, {
        headers: HEADERS,
        signal: options.signal,
        validators: page === 1 ? options.validators : undefined,
      });
      if (response.notModified) return { notModified: true };
      if (response.status !== 200) throw failure(response, `releases of ${where}`);
      const body = parseUpstreamJson<unknown>(response.body, response.url);
      if (!Array.isArray(body)) throw new Error(`releases of ${where}: the API answered something other than a list`);
      for (const item of body) {
        const release = parseRelease(item, where, options.logger);
        if (release) releases.push(release);
      }
      const next = nextLink(response.headers.get('link'));
      if (page === 1) validators = next ? undefined : response.validators;
      if (next !== undefined && !isUnderBase(this.apiUrl, new URL(next, response.url))) {
        throw new Error(`releases of ${where}: the next page is outside ${redactUrl(this.apiUrl)}`);
      }
      url = next === undefined ? undefined : new URL(next, response.url).toString();
    }
    return { notModified: false, releases, validators };
  }

  /** The release of one tag; NotFoundError when there is none (drafts have none). */
  async releaseOf(
    owner: string,
    repo: string,
    tag: string,
    options: { logger: LoggerService; signal?: AbortSignal },
  ): Promise<Release> {
    const url = upstreamUrl(this.apiUrl, ['repos', owner, repo, 'releases', 'tags', tag]);
    const response = await this.upstream.get(url, { headers: HEADERS, signal: options.signal });
    if (response.status !== 200) throw failure(response, `release ${tag} of ${owner}/${repo}`);
    const release = parseRelease(parseUpstreamJson<unknown>(response.body, response.url), `${owner}/${repo}`, options.logger);
    if (!release) throw new Error(`release ${tag} of ${owner}/${repo}: the API answered in an unexpected shape`);
    return release;
  }
}
