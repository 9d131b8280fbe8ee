import http from 'node:http';
import { AddressInfo } from 'node:net';

/** Answers one request; `upstream` is the server itself, e.g. for its URL. */
export type HostileRoute = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  upstream: HostileUpstream,
) => void;

/**
 * A real HTTP server on 127.0.0.1 whose answers a test scripts per path,
 * recording every request it gets, so a test can show that a refused
 * host was never contacted. Unknown paths answer 404.
 */
export class HostileUpstream {
  /** Paths (with query) of every request received, in order. */
  readonly requests: string[] = [];
  private readonly routes = new Map<string, HostileRoute>();

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
  ) {}

  static async start(): Promise<HostileUpstream> {
    const server = http.createServer();
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const upstream = new HostileUpstream(server, port);
    server.on('request', (req, res) => {
      upstream.requests.push(req.url ?? '');
      const route = upstream.routes.get((req.url ?? '').replace(/\?.*$/, ''));
      if (route) {
        route(req, res, upstream);
      } else {
        res.writeHead(404).end();
      }
    });
    return upstream;
  }

  /** Base URL without a trailing slash, by IP address. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Answers requests for `path` (without query) with `route`. */
  on(path: string, route: HostileRoute): this {
    this.routes.set(path, route);
    return this;
  }

  /** Answers `path` with a fixed body. */
  serve(path: string, body: string | Buffer, headers: http.OutgoingHttpHeaders = {}): this {
    return this.on(path, (_req, res) => {
      res.writeHead(200, { 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    });
  }

  /** Redirects `path` to `location`. */
  redirect(path: string, location: string, status = 302): this {
    return this.on(path, (_req, res) => {
      res.writeHead(status, { location }).end();
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }
}
