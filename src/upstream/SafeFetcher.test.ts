import { NotFoundError } from '@backstage/errors';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { IntegrityError } from '../collection/IntegrityStream';
import {
  DisallowedHostError,
  RedirectError,
  SafeFetcher,
  SafeFetcherOptions,
  UpstreamHttpError,
  isRetryable,
} from './SafeFetcher';
import { readText } from '../__testUtils__/streams';

async function listen(server: Server): Promise<number> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: Server) {
  server.closeAllConnections();
  await new Promise(resolve => server.close(resolve));
}

describe('SafeFetcher', () => {
  let upstream: Server;
  let elsewhere: Server;
  let port: number;
  let otherPort: number;
  const fetchers: SafeFetcher[] = [];

  const fetcher = (options: Partial<SafeFetcherOptions> = {}) => {
    const created = new SafeFetcher({
      allowedHosts: [`127.0.0.1:${port}`],
      ...options,
    });
    fetchers.push(created);
    return created;
  };

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      switch (req.url) {
        case '/file.tgz':
          res.writeHead(200, {
            'content-type': 'application/octet-stream',
            'content-length': 5,
          });
          res.end('hello');
          return;
        case '/moved':
          res.writeHead(302, { location: '/file.tgz' });
          res.end();
          return;
        case '/away':
          res.writeHead(301, {
            location: `http://127.0.0.1:${otherPort}/file.tgz`,
          });
          res.end();
          return;
        case '/loop':
          res.writeHead(302, { location: '/loop' });
          res.end();
          return;
        case '/busy':
          res.writeHead(429, { 'retry-after': '2' });
          res.end();
          return;
        case '/broken':
          res.writeHead(500);
          res.end('oops');
          return;
        case '/stall':
          res.writeHead(200, { 'content-length': 100 });
          res.write('partial');
          return; // never ends
        default:
          res.writeHead(404);
          res.end();
      }
    });
    elsewhere = createServer((_req, res) => res.end('elsewhere'));
    port = await listen(upstream);
    otherPort = await listen(elsewhere);
  });

  afterAll(async () => {
    await Promise.all(fetchers.map(f => f.close()));
    await close(upstream);
    await close(elsewhere);
  });

  it('streams a file from an allowed host', async () => {
    const result = await fetcher().fetch(`http://127.0.0.1:${port}/file.tgz`);
    expect(result.size).toBe(5);
    expect(result.contentType).toBe('application/octet-stream');
    expect(result.url).toBe(`http://127.0.0.1:${port}/file.tgz`);
    expect(await readText(result.body)).toBe('hello');
  });

  it('refuses hosts, ports and schemes that are not allowed', async () => {
    const f = fetcher();
    for (const uri of [
      `http://127.0.0.1:${otherPort}/file.tgz`,
      'http://registry.example/file.tgz',
      `http://127.0.0.1/file.tgz`,
      `ftp://127.0.0.1:${port}/file.tgz`,
      'file:///etc/passwd',
      `http://user:secret@127.0.0.1:${port}/file.tgz`,
      'not a uri',
    ]) {
      const error = await f.fetch(uri).catch(e => e);
      expect(error).toBeInstanceOf(DisallowedHostError);
      expect(isRetryable(error)).toBe(false);
    }
  });

  it('follows redirects within the allowed hosts', async () => {
    const result = await fetcher().fetch(`http://127.0.0.1:${port}/moved`);
    expect(result.url).toBe(`http://127.0.0.1:${port}/file.tgz`);
    expect(await readText(result.body)).toBe('hello');
  });

  it('refuses a redirect to a host that is not allowed', async () => {
    await expect(
      fetcher().fetch(`http://127.0.0.1:${port}/away`),
    ).rejects.toThrow(DisallowedHostError);
    // The same redirect is followed once the target is allowed too.
    const result = await fetcher({
      allowedHosts: [`127.0.0.1:${port}`, `127.0.0.1:${otherPort}`],
    }).fetch(`http://127.0.0.1:${port}/away`);
    expect(await readText(result.body)).toBe('elsewhere');
  });

  it('stops after too many redirects', async () => {
    const error = await fetcher({ maxRedirects: 3 })
      .fetch(`http://127.0.0.1:${port}/loop`)
      .catch(e => e);
    expect(error).toBeInstanceOf(RedirectError);
    expect(isRetryable(error)).toBe(false);
  });

  it('refuses a host name resolving to loopback unless the address is allowed', async () => {
    const uri = `http://localhost:${port}/file.tgz`;
    const refused = await fetcher({ allowedHosts: [`localhost:${port}`] })
      .fetch(uri)
      .catch(e => e);
    expect(refused).toBeInstanceOf(DisallowedHostError);
    expect(refused.message).toMatch(/resolves to/);
    expect(isRetryable(refused)).toBe(false);

    const result = await fetcher({
      allowedHosts: [`localhost:${port}`],
      allowPrivateAddresses: ['127.0.0.0/8'],
    }).fetch(uri);
    expect(await readText(result.body)).toBe('hello');
  });

  it('treats 5xx and 429 as retryable and 404 as final', async () => {
    const f = fetcher();
    const broken = await f
      .fetch(`http://127.0.0.1:${port}/broken`)
      .catch(e => e);
    expect(broken).toBeInstanceOf(UpstreamHttpError);
    expect(broken.statusCode).toBe(500);
    expect(isRetryable(broken)).toBe(true);

    const busy = await f.fetch(`http://127.0.0.1:${port}/busy`).catch(e => e);
    expect(busy.statusCode).toBe(429);
    expect(busy.retryAfterMs).toBe(2000);
    expect(isRetryable(busy)).toBe(true);

    const missing = await f
      .fetch(`http://127.0.0.1:${port}/nope`)
      .catch(e => e);
    // A reader's 404 is Backstage's NotFoundError.
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.message).toBe(`GET http://127.0.0.1:${port}/nope answered 404`);
    expect(isRetryable(missing)).toBe(false);
  });

  it('fails a body that stalls longer than the idle timeout', async () => {
    const result = await fetcher({ idleTimeoutMs: 200 }).fetch(
      `http://127.0.0.1:${port}/stall`,
    );
    expect(result.size).toBe(100);
    const error = await readText(result.body).catch(e => e);
    expect(error.code).toBe('UND_ERR_BODY_TIMEOUT');
    expect(isRetryable(error)).toBe(true);
  });

  it("ends a body streaming when the caller's signal aborts, with the caller's reason", async () => {
    const caller = new AbortController();
    const result = await fetcher().fetch(`http://127.0.0.1:${port}/stall`, { signal: caller.signal });
    const reading = readText(result.body).catch(e => e);
    const reason = new Error('collection stopped');
    caller.abort(reason);
    expect(await reading).toBe(reason);
  });

  it('classifies connection failures as retryable and integrity errors as final', async () => {
    const server = createServer();
    const closedPort = await listen(server);
    await close(server);
    const refused = await fetcher({
      allowedHosts: [`127.0.0.1:${closedPort}`],
    })
      .fetch(`http://127.0.0.1:${closedPort}/file.tgz`)
      .catch(e => e);
    expect(refused.code).toBe('ECONNREFUSED');
    expect(isRetryable(refused)).toBe(true);
    expect(isRetryable(new IntegrityError('digest mismatch'))).toBe(false);
  });
});
