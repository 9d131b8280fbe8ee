import { createHash } from 'node:crypto';
import http from 'node:http';
import { AddressInfo } from 'node:net';

/** A file of a fake Hub commit; `lfs` files are served through the CDN by redirect. */
export interface FakeHubFile {
  path: string;
  body: Buffer;
  lfs?: boolean;
}

/** A repository of the fake Hub: `id` as the Hub's URLs spell it (`org/model`, `datasets/org/data`). */
export interface FakeHubRepo {
  id: string;
  /** Revision name → commit. */
  revisions: Record<string, string>;
  /** Commit → files. */
  commits: Record<string, FakeHubFile[]>;
  /** Answer 401 to requests without the token. */
  gated?: boolean;
}

/** One request either server answered, for assertions. */
export interface FakeHubRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  authorization?: string;
  status: number;
}

const sha = (algorithm: string, data: Buffer | string) => createHash(algorithm).update(data).digest('hex');

/** Git's blob object id of some bytes (as `git hash-object` computes it). */
export function gitBlobId(body: Buffer): string {
  return sha('sha1', Buffer.concat([Buffer.from(`blob ${body.length}\0`), body]));
}

/** The LFS pointer git keeps in place of an LFS file. */
function pointerOf(body: Buffer): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha('sha256', body)}\nsize ${body.length}\n`);
}

/** The tree entry the Hub lists for a file. */
export function treeEntryOf(file: FakeHubFile) {
  if (!file.lfs) return { type: 'file', oid: gitBlobId(file.body), size: file.body.length, path: file.path };
  const pointer = pointerOf(file.body);
  return {
    type: 'file',
    oid: gitBlobId(pointer),
    size: file.body.length,
    path: file.path,
    lfs: { oid: sha('sha256', file.body), size: file.body.length, pointerSize: pointer.length },
  };
}

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * A Hugging Face Hub on 127.0.0.1, as the real one answers: revisions
 * resolved to commits, recursive tree listings paged with `Link` headers,
 * and `resolve` URLs serving files kept in git directly and redirecting
 * LFS files to a CDN on another origin, which must get no token.
 */
export class FakeHub {
  readonly requests: FakeHubRequest[] = [];
  /** Entries per tree page, small so paging is exercised. */
  pageSize = 2;

  private constructor(
    private readonly hub: { server: http.Server; url: string },
    private readonly cdn: { server: http.Server; url: string },
    private readonly repos: FakeHubRepo[],
    readonly token: string,
  ) {}

  static async start(repos: FakeHubRepo[], token = 'hf_test_token'): Promise<FakeHub> {
    const handlers: { hub?: http.RequestListener; cdn?: http.RequestListener } = {};
    const hub = await listen((req, res) => handlers.hub!(req, res));
    const cdn = await listen((req, res) => handlers.cdn!(req, res));
    const instance = new FakeHub(hub, cdn, repos, token);
    handlers.hub = (req, res) => instance.handleHub(req, res);
    handlers.cdn = (req, res) => instance.handleCdn(req, res);
    return instance;
  }

  get url(): string {
    return this.hub.url;
  }

  get cdnHost(): string {
    return new URL(this.cdn.url).host;
  }

  async stop(): Promise<void> {
    for (const { server } of [this.hub, this.cdn]) {
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    }
  }

  private send(
    which: 'hub' | 'cdn',
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    headers: http.OutgoingHttpHeaders,
    body?: Buffer | string,
  ) {
    this.requests.push({
      server: which,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      authorization: req.headers.authorization,
      status,
    });
    res.writeHead(status, headers).end(req.method === 'HEAD' ? undefined : body);
  }

  private handleHub(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', this.hub.url);
    const path = url.pathname;
    const api = /^\/api\/(models|datasets|spaces)\/(.+)\/(revision|tree)\/([^/]+)$/.exec(path);
    const resolve = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    let repoId = resolve?.[1];
    if (api) repoId = api[1] === 'models' ? api[2] : `${api[1]}/${api[2]}`;
    const repo = this.repos.find(candidate => candidate.id === repoId);
    if (!repo) return this.send('hub', req, res, 404, {}, 'Repository not found');
    if (repo.gated && req.headers.authorization !== `Bearer ${this.token}`) {
      return this.send('hub', req, res, 401, {}, 'Access to this repository is restricted');
    }
    const revision = decodeURIComponent(api ? api[4] : resolve![2]);
    const commit = repo.revisions[revision] ?? (repo.commits[revision] ? revision : undefined);
    if (!commit) return this.send('hub', req, res, 404, { 'x-error-code': 'RevisionNotFound' }, 'Invalid rev id');
    const files = repo.commits[commit];
    if (api?.[3] === 'revision') {
      const body = JSON.stringify({
        id: repo.id.replace(/^(datasets|spaces)\//, ''),
        sha: commit,
        lastModified: '2026-11-01T10:00:00.000Z',
        siblings: files.map(file => ({ rfilename: file.path })),
      });
      return this.send('hub', req, res, 200, { 'content-type': 'application/json' }, body);
    }
    if (api) {
      const start = Number(url.searchParams.get('cursor') ?? '0');
      const page = files.slice(start, start + this.pageSize).map(treeEntryOf);
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
      if (start + this.pageSize < files.length) {
        const next = new URL(url);
        next.searchParams.set('cursor', String(start + this.pageSize));
        headers.link = `<${next}>; rel="next"`;
      }
      return this.send('hub', req, res, 200, headers, JSON.stringify(page));
    }
    const file = files.find(candidate => candidate.path === decodeURIComponent(resolve![3]));
    if (!file) return this.send('hub', req, res, 404, { 'x-repo-commit': commit }, 'Entry not found');
    if (file.lfs) {
      const digest = sha('sha256', file.body);
      return this.send('hub', req, res, 302, {
        location: `${this.cdn.url}/repos/${digest}?signed=yes`,
        'x-repo-commit': commit,
        'x-linked-etag': `"${digest}"`,
        'x-linked-size': String(file.body.length),
      });
    }
    return this.send(
      'hub',
      req,
      res,
      200,
      { 'x-repo-commit': commit, etag: `"${gitBlobId(file.body)}"`, 'content-length': file.body.length },
      file.body,
    );
  }

  private handleCdn(req: http.IncomingMessage, res: http.ServerResponse) {
    const match = /^\/repos\/([0-9a-f]{64})$/.exec(new URL(req.url ?? '/', this.cdn.url).pathname);
    const file = match
      ? this.repos
          .flatMap(repo => Object.values(repo.commits).flat())
          .find(candidate => candidate.lfs && sha('sha256', candidate.body) === match[1])
      : undefined;
    // A signed CDN URL refuses requests carrying credentials, as S3 does.
    if (!file || req.headers.authorization) return this.send('cdn', req, res, file ? 400 : 404, {});
    return this.send('cdn', req, res, 200, { 'content-length': file.body.length }, file.body);
  }
}
