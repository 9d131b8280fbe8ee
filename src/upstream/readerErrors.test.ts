import { mockServices } from '@backstage/backend-test-utils';
import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import { ConfigReader } from '@backstage/config';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { classifyFailure } from '../collection/failureKind';
import { HostileUpstream } from '../__testUtils__/hostileUpstream';
import { readerErrorRetryable } from './readerErrors';
import { isRetryable } from './SafeFetcher';

/**
 * What Backstage's own readers throw, from real readers against a real
 * server: FetchUrlReader for a host in `backend.reading.allow`,
 * GithubUrlReader for a GitHub Enterprise-like host in
 * `integrations.github`. Pins the messages readerErrors.ts reads.
 */
describe("the classification of Backstage readers' errors", () => {
  let upstream: HostileUpstream;
  let closedPort: number;
  let read: (url: string) => Promise<unknown>;

  beforeAll(async () => {
    upstream = await HostileUpstream.start();
    const closed = createServer();
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve));
    closedPort = (closed.address() as AddressInfo).port;
    await new Promise(resolve => closed.close(resolve));
    upstream
      .on('/forbidden', (_req, res) => res.writeHead(403).end())
      .on('/broken', (_req, res) => res.writeHead(502).end())
      .on('/busy', (_req, res) => res.writeHead(429).end())
      .redirect('/outside', `http://localhost:${upstream.port}/private/x`)
      .redirect('/loop', '/loop')
      .on('/api/v3/repos/acme/tools/contents/limited.tgz', (_req, res) =>
        res.writeHead(403, { 'x-ratelimit-remaining': '0' }).end(),
      )
      .on('/api/v3/repos/acme/tools/contents/denied.tgz', (_req, res) => res.writeHead(403).end());
    const config = new ConfigReader({
      backend: {
        reading: {
          allow: [
            { host: `localhost:${upstream.port}`, paths: ['/forbidden', '/broken', '/busy', '/outside', '/loop', '/missing'] },
            { host: `localhost:${closedPort}` },
          ],
        },
      },
      integrations: {
        github: [
          { host: `127.0.0.1:${upstream.port}`, apiBaseUrl: `${upstream.url}/api/v3`, token: 't' },
        ],
      },
    });
    const reader = UrlReaders.default({ config, logger: mockServices.logger.mock() });
    read = url => reader.readUrl(url).then(
      () => {
        throw new Error(`${url} was read`);
      },
      error => error,
    );
  });

  afterAll(() => upstream.close());

  it.each([
    ['/forbidden', false],
    ['/missing', false],
    ['/outside', false],
    ['/loop', false],
    ['/broken', true],
    ['/busy', true],
  ])('FetchUrlReader: %s retryable %s', async (path, retryable) => {
    const error = await read(`http://localhost:${upstream.port}${path}`);
    expect(readerErrorRetryable(error)).toBe(retryable);
    expect(isRetryable(error)).toBe(retryable);
    expect(classifyFailure(error, isRetryable).kind).toBe(retryable ? 'transient' : 'permanent');
  });

  it('FetchUrlReader: a host that does not answer is retryable', async () => {
    const error = await read(`http://localhost:${closedPort}/x.tgz`);
    expect((error as Error).message).toMatch(/^Unable to read http:\/\/localhost:\d+\/x\.tgz, /);
    expect(isRetryable(error)).toBe(true);
  });

  it('GithubUrlReader: a rate limit is retryable, another 403 and a bad URL are not', async () => {
    const file = (name: string) => `http://127.0.0.1:${upstream.port}/acme/tools/blob/v1/${name}`;
    expect(isRetryable(await read(file('limited.tgz')))).toBe(true);
    expect(isRetryable(await read(file('denied.tgz')))).toBe(false);
    expect(isRetryable(await read(`http://127.0.0.1:${upstream.port}/acme/tools/releases/download/v1/x.tgz`))).toBe(false);
  });

  it('no reader: refused for good', async () => {
    const error = await read('http://localhost:1/x.tgz');
    expect(error).toMatchObject({ name: 'NotAllowedError' });
    expect(classifyFailure(error, isRetryable)).toEqual({ kind: 'permanent', retry: false });
  });
});
