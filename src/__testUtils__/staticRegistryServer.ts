import { createHash } from 'node:crypto';
import http from 'node:http';
import { AddressInfo } from 'node:net';

/** A file served by a {@link StaticRegistryServer}. */
export interface StaticFile {
  body: string | Buffer;
  contentType?: string;
}

/** One request the server answered, for assertions. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  status: number;
}

/**
 * A real HTTP server on 127.0.0.1 serving fixed files, the way a static
 * registry (a PyPI JSON API dump, a Maven repository layout) does: strong
 * ETags and Last-Modified on every file, 304 for matching conditional
 * requests, 404 for anything else. Files can be replaced while it runs.
 */
export class StaticRegistryServer {
  readonly requests: RecordedRequest[] = [];
  private readonly files = new Map<string, StaticFile & { etag: string; lastModified: string }>();

  private constructor(
    private readonly server: http.Server,
    /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
    readonly url: string,
  ) {}

  static async start(): Promise<StaticRegistryServer> {
    const server = http.createServer();
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const instance = new StaticRegistryServer(server, `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => instance.handle(req, res));
    return instance;
  }

  /** Serves `body` at `path` (which starts with `/`). */
  set(path: string, file: StaticFile | string | Buffer): void {
    const entry = typeof file === 'string' || Buffer.isBuffer(file) ? { body: file } : file;
    const etag = `"${createHash('sha1').update(entry.body).digest('hex')}"`;
    // Whole seconds, as HTTP dates have no finer resolution.
    const lastModified = new Date(Math.floor(Date.now() / 1000) * 1000).toUTCString();
    this.files.set(path, { ...entry, etag, lastModified });
  }

  delete(path: string): void {
    this.files.delete(path);
  }

  /** Requests whose path starts with `prefix`. */
  requestsTo(prefix: string): RecordedRequest[] {
    return this.requests.filter(request => request.path.startsWith(prefix));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      this.server.close(error => (error ? reject(error) : resolve())),
    );
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const path = decodeURIComponent(new URL(req.url ?? '/', this.url).pathname);
    const file = req.method === 'GET' || req.method === 'HEAD' ? this.files.get(path) : undefined;
    let status: number;
    if (!file) {
      status = 404;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
    } else if (req.headers['if-none-match'] === file.etag) {
      status = 304;
      res.writeHead(304, { etag: file.etag, 'last-modified': file.lastModified }).end();
    } else {
      status = 200;
      res.writeHead(200, {
        'content-type': file.contentType ?? 'application/octet-stream',
        'content-length': Buffer.byteLength(file.body),
        etag: file.etag,
        'last-modified': file.lastModified,
      });
      res.end(req.method === 'HEAD' ? undefined : file.body);
    }
    this.requests.push({ method: req.method ?? 'GET', path, headers: req.headers, status });
  }
}
