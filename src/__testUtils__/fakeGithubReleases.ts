import { createHash } from 'node:crypto';
import { IncomingHttpHeaders } from 'node:http';
import { HostileUpstream } from './hostileUpstream';

/** An asset of a {@link FakeRelease}. */
export interface FakeAsset {
  name: string;
  body: Buffer;
  /** Whether the API lists `digest: sha256:<hex>` of `body` (default false). */
  apiDigest?: boolean;
  /** Bytes served instead of `body`: a tampered download. */
  served?: Buffer;
}

/** A release the fake API lists. */
export interface FakeRelease {
  tag: string;
  draft?: boolean;
  prerelease?: boolean;
  publishedAt: string;
  assets: FakeAsset[];
}

const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');

/** `<hex>  <name>` lines over assets, as `sha256sum` writes them. */
export function sha256sums(assets: FakeAsset[]): Buffer {
  return Buffer.from(assets.map(a => `${sha256(a.body)}  ${a.name}\n`).join(''));
}

/**
 * A GitHub Enterprise-like releases API served by the tests on 127.0.0.1:
 * `/api/v3/repos/:owner/:repo/releases` in pages of `perPage` linked by
 * `Link: rel="next"`, `/releases/tags/:tag`, asset downloads through the
 * API (`/releases/assets/:id`, bytes for `Accept: application/octet-stream`)
 * and at `browser_download_url`, both redirecting to a storage host (another
 * server) as GitHub does. Every request's headers are recorded.
 */
export class FakeGithubReleases {
  readonly seen: Array<{ host: 'api' | 'storage'; path: string; headers: IncomingHttpHeaders }> = [];

  private constructor(
    readonly api: HostileUpstream,
    readonly storage: HostileUpstream,
    readonly owner: string,
    readonly repo: string,
    private readonly releases: FakeRelease[],
    private readonly perPage: number,
  ) {}

  static async start(options: { owner: string; repo: string; releases: FakeRelease[]; perPage?: number }) {
    const [api, storage] = await Promise.all([HostileUpstream.start(), HostileUpstream.start()]);
    const fake = new FakeGithubReleases(api, storage, options.owner, options.repo, options.releases, options.perPage ?? 2);
    fake.route();
    return fake;
  }

  /** The API base URL, as `backpack.processors.github-releases.apiUrl`. */
  get apiUrl(): string {
    return `${this.api.url}/api/v3`;
  }

  /** Requests of one host whose path starts with `prefix`. */
  requests(host: 'api' | 'storage', prefix = '/') {
    return this.seen.filter(s => s.host === host && s.path.startsWith(prefix));
  }

  private assetId(release: number, asset: number): number {
    return 1000 * (release + 1) + asset;
  }

  private releaseJson(release: FakeRelease, index: number) {
    const { owner, repo } = this;
    return {
      tag_name: release.tag,
      draft: release.draft ?? false,
      prerelease: release.prerelease ?? false,
      published_at: release.publishedAt,
      assets: release.assets.map((asset, a) => {
        const id = this.assetId(index, a);
        return {
          id,
          name: asset.name,
          size: asset.body.length,
          url: `${this.apiUrl}/repos/${owner}/${repo}/releases/assets/${id}`,
          browser_download_url: `${this.api.url}/${owner}/${repo}/releases/download/${encodeURIComponent(release.tag)}/${encodeURIComponent(asset.name)}`,
          digest: asset.apiDigest ? `sha256:${sha256(asset.body)}` : null,
          updated_at: release.publishedAt,
        };
      }),
    };
  }

  private record(host: 'api' | 'storage', path: string, headers: IncomingHttpHeaders) {
    this.seen.push({ host, path, headers });
  }

  private json(res: import('node:http').ServerResponse, body: unknown, headers: Record<string, string> = {}) {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  private route() {
    const { api, storage, owner, repo } = this;
    const base = `/api/v3/repos/${owner}/${repo}`;
    api.on(`${base}/releases`, (req, res) => {
      this.record('api', req.url ?? '', req.headers);
      const page = Number(new URL(req.url ?? '', api.url).searchParams.get('page') ?? '1');
      const start = (page - 1) * this.perPage;
      const items = this.releases.slice(start, start + this.perPage).map((r, i) => this.releaseJson(r, start + i));
      const more = start + this.perPage < this.releases.length;
      this.json(res, items, more ? { link: `<${this.apiUrl}/repos/${owner}/${repo}/releases?per_page=100&page=${page + 1}>; rel="next"` } : {});
    });
    this.releases.forEach((release, index) => {
      if (!release.draft) {
        api.on(`${base}/releases/tags/${encodeURIComponent(release.tag)}`, (req, res) => {
          this.record('api', req.url ?? '', req.headers);
          this.json(res, this.releaseJson(release, index));
        });
      }
      release.assets.forEach((asset, a) => {
        const id = this.assetId(index, a);
        const object = `/objects/${id}`;
        const toStorage = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
          this.record('api', req.url ?? '', req.headers);
          res.writeHead(302, { location: `${storage.url}${object}?sig=${id}` }).end();
        };
        api.on(`${base}/releases/assets/${id}`, (req, res) => {
          if (req.headers.accept !== 'application/octet-stream') {
            this.record('api', req.url ?? '', req.headers);
            this.json(res, this.releaseJson(release, index).assets[a]);
          } else toStorage(req, res);
        });
        api.on(`/${owner}/${repo}/releases/download/${encodeURIComponent(release.tag)}/${encodeURIComponent(asset.name)}`, toStorage);
        storage.on(object, (req, res) => {
          this.record('storage', req.url ?? '', req.headers);
          const body = asset.served ?? asset.body;
          res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' }).end(body);
        });
      });
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.api.close(), this.storage.close()]);
  }
}
