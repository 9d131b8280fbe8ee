import http from 'node:http';
import { AddressInfo } from 'node:net';
import { OciObject, TestImage } from './ociImages';

// A small OCI distribution registry written for the tests, on 127.0.0.1:
// tags, manifests and blobs of the images a test pushes, paginated tag
// lists, the referrers API when asked, bearer token auth with its own token
// endpoint, and any answer a test overrides to play a hostile registry.

/** What a request carried, for tests that check what was sent where. */
export interface SeenRequest {
  path: string;
  authorization?: string;
  accept?: string;
}

export interface FakeOciRegistryOptions {
  /** Require bearer tokens from `/token` (or from `realm`, when given). */
  tokenAuth?: { realm?: string; username?: string; password?: string };
  /** Serve the referrers API (OCI 1.1); otherwise it answers 404 as older registries do. */
  referrersApi?: boolean;
  /** Tags per page of `tags/list`, with `Link` headers to the next. */
  pageSize?: number;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export class FakeOciRegistry {
  readonly requests: SeenRequest[] = [];
  readonly tokensIssued: string[] = [];
  private readonly objects = new Map<string, OciObject>();
  private readonly tags = new Map<string, Map<string, string>>();
  private readonly referrers = new Map<string, OciObject[]>();
  private readonly overrides = new Map<string, Handler>();

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
    private readonly options: FakeOciRegistryOptions,
  ) {}

  static async start(options: FakeOciRegistryOptions = {}): Promise<FakeOciRegistry> {
    const server = http.createServer();
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const registry = new FakeOciRegistry(server, (server.address() as AddressInfo).port, options);
    server.on('request', (req, res) => registry.handle(req, res));
    return registry;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Pushes an image's objects and points `tag` at its root. */
  push(repository: string, tag: string | undefined, image: TestImage): this {
    for (const object of [...image.manifests, ...image.blobs]) this.objects.set(object.digest, object);
    if (tag) {
      const tags = this.tags.get(repository) ?? new Map<string, string>();
      tags.set(tag, image.root.digest);
      this.tags.set(repository, tags);
    }
    return this;
  }

  /** Pushes a referrer (a manifest with `subject`) of `subject`, untagged. */
  pushReferrer(repository: string, subject: OciObject, referrer: TestImage): this {
    this.push(repository, undefined, referrer);
    this.referrers.set(subject.digest, [...(this.referrers.get(subject.digest) ?? []), referrer.root]);
    return this;
  }

  /** Answers `path` (without query) with `handler` instead. */
  override(path: string, handler: Handler): this {
    this.overrides.set(path, handler);
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ path: `${url.pathname}${url.search}`, authorization: req.headers.authorization, accept: req.headers.accept });
    const override = this.overrides.get(url.pathname);
    if (override) {
      override(req, res);
      return;
    }
    if (url.pathname === '/token') {
      this.token(req, url, res);
      return;
    }
    const auth = this.options.tokenAuth;
    if (auth && url.pathname.startsWith('/v2/')) {
      const scope = /^\/v2\/(.+)\/(?:manifests|blobs|tags|referrers)\//.exec(url.pathname)?.[1];
      const token = req.headers.authorization?.replace(/^Bearer /, '');
      if (!token || !this.tokensIssued.includes(token) || (scope && !token.includes(scope.replace(/\//g, '_')))) {
        const realm = auth.realm ?? `${this.url}/token`;
        res.writeHead(401, {
          'www-authenticate': `Bearer realm="${realm}",service="fake",scope="repository:${scope}:pull"`,
        });
        res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
    }
    this.registryApi(url, res);
  }

  private token(req: http.IncomingMessage, url: URL, res: http.ServerResponse) {
    const auth = this.options.tokenAuth;
    if (auth?.username) {
      const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        res.writeHead(401).end();
        return;
      }
    }
    const scope = (url.searchParams.get('scope') ?? '').replace(/^repository:|:pull$/g, '');
    const token = `token-${scope.replace(/\//g, '_')}-${this.tokensIssued.length}`;
    this.tokensIssued.push(token);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, expires_in: 300 }));
  }

  private registryApi(url: URL, res: http.ServerResponse) {
    const send = (object: OciObject, contentType = object.mediaType) => {
      res.writeHead(200, {
        'content-type': contentType,
        'content-length': object.bytes.length,
        'docker-content-digest': object.digest,
        etag: `"${object.digest}"`,
      });
      res.end(object.bytes);
    };
    let match = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
    if (match) {
      const tags = [...(this.tags.get(match[1])?.keys() ?? [])].sort();
      if (!this.tags.has(match[1])) {
        res.writeHead(404).end();
        return;
      }
      const size = this.options.pageSize ?? tags.length;
      const last = url.searchParams.get('last');
      const start = last ? tags.indexOf(last) + 1 : 0;
      const page = tags.slice(start, start + size);
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
      if (start + size < tags.length) {
        headers.link = `</v2/${match[1]}/tags/list?n=${size}&last=${page[page.length - 1]}>; rel="next"`;
      }
      res.writeHead(200, headers).end(JSON.stringify({ name: match[1], tags: page }));
      return;
    }
    match = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (match) {
      const digest = this.tags.get(match[1])?.get(match[2]) ?? match[2];
      const object = this.objects.get(digest);
      if (object) send(object);
      else res.writeHead(404).end();
      return;
    }
    match = /^\/v2\/(.+)\/blobs\/([^/]+)$/.exec(url.pathname);
    if (match) {
      const object = this.objects.get(match[2]);
      if (object) send(object, 'application/octet-stream');
      else res.writeHead(404).end();
      return;
    }
    match = /^\/v2\/(.+)\/referrers\/([^/]+)$/.exec(url.pathname);
    if (match && this.options.referrersApi) {
      const manifests = (this.referrers.get(match[2]) ?? []).map(o => {
        const json = JSON.parse(o.bytes.toString());
        return { mediaType: o.mediaType, digest: o.digest, size: o.bytes.length, artifactType: json.artifactType };
      });
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' });
      res.end(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
      return;
    }
    res.writeHead(url.pathname === '/v2/' ? 200 : 404).end();
  }
}
