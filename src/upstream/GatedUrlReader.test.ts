import { mockServices } from '@backstage/backend-test-utils';
import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import { ConfigReader } from '@backstage/config';
import { NotAllowedError, NotFoundError, NotModifiedError } from '@backstage/errors';
import { IncomingHttpHeaders } from 'node:http';
import { HostileUpstream } from '../__testUtils__/hostileUpstream';
import { DisallowedHostError, UpstreamHttpError } from './errors';
import { GatedUrlReader } from './GatedUrlReader';
import { HostPolicy } from './HostPolicy';
import { UpstreamClient } from './UpstreamClient';
import { BackpackUpstreamGate } from './upstreamGateService';
import { UpstreamTransport } from './UpstreamTransport';

const SECRET = 'SECRET-INTERNAL-BODY';
const MODIFIED = 'Wed, 21 Oct 2026 07:28:00 GMT';

describe('Backpack as a URL reader', () => {
  let upstream: HostileUpstream;
  let transport: UpstreamTransport;
  let reader: GatedUrlReader;
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    upstream = await HostileUpstream.start();
    const record = (req: { headers: IncomingHttpHeaders }) => seen.push(req.headers);
    upstream
      .on('/doc.json', (req, res) => {
        record(req);
        const unchanged =
          req.headers['if-none-match'] === '"v1"' || req.headers['if-modified-since'] === MODIFIED;
        if (unchanged) res.writeHead(304).end();
        else res.writeHead(200, { etag: '"v1"', 'last-modified': MODIFIED, 'content-length': 2 }).end('{}');
      })
      .redirect('/moved', '/doc.json')
      .on('/gone', (_req, res) => res.writeHead(404).end(SECRET))
      .on('/busy', (_req, res) => res.writeHead(503, { 'retry-after': '7' }).end(SECRET));
    transport = new UpstreamTransport({
      policy: new HostPolicy().allow([`127.0.0.1:${upstream.port}`], 'operator'),
    });
    reader = new GatedUrlReader(transport);
  });

  afterEach(() => {
    seen.length = 0;
    upstream.requests.length = 0;
  });

  afterAll(async () => {
    await transport.close();
    await upstream.close();
  });

  it('answers a readUrl with the body, its validators and what the transport knew', async () => {
    const response = await reader.readUrl(`${upstream.url}/moved`, { token: 'never-sent' });
    expect(response).toMatchObject({
      url: `${upstream.url}/doc.json`,
      size: 2,
      etag: '"v1"',
      lastModifiedAt: new Date(MODIFIED),
    });
    expect((await response.buffer()).toString()).toBe('{}');
    // No credentials ever leave through Backpack's reader.
    expect(seen[0].authorization).toBeUndefined();
    expect(seen[0]['user-agent']).toBe('backpack');
  });

  it('sends conditional requests and answers 304 with NotModifiedError', async () => {
    const url = `${upstream.url}/doc.json`;
    await expect(reader.readUrl(url, { etag: '"v1"' })).rejects.toThrow(NotModifiedError);
    await expect(reader.readUrl(url, { lastModifiedAfter: new Date(MODIFIED) })).rejects.toThrow(
      NotModifiedError,
    );
    expect(seen.map(h => [h['if-none-match'], h['if-modified-since']])).toEqual([
      ['"v1"', undefined],
      [undefined, MODIFIED],
    ]);
  });

  it('throws NotFoundError for 404 and UpstreamHttpError for other answers, echoing no body', async () => {
    const missing = await reader.readUrl(`${upstream.url}/gone?token=abc`).catch(e => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.message).toBe(`GET ${upstream.url}/gone?… answered 404`);
    const busy = await reader.readUrl(`${upstream.url}/busy`).catch(e => e);
    expect(busy).toBeInstanceOf(UpstreamHttpError);
    expect(busy).toMatchObject({ statusCode: 503, retryAfterMs: 7000 });
    expect(`${missing.message} ${busy.message}`).not.toContain(SECRET);
  });

  it('reads single files only', async () => {
    await expect(reader.readTree()).rejects.toThrow(NotAllowedError);
    await expect(reader.search()).rejects.toThrow(NotAllowedError);
  });
});

describe('the host policy as the reader predicate', () => {
  it('owns the host names it allows, on every port and scheme, and nothing else', () => {
    const policy = new HostPolicy()
      .allow(['registry.example:8443', '[::1]:9000'], 'operator')
      .allow(['Files.Example'], 'default');
    for (const url of [
      'https://registry.example:8443/x',
      'http://registry.example:9999/x',
      'ftp://files.example/x',
      'https://FILES.example/x',
      'http://[::1]:1/x',
    ]) {
      expect(policy.owns(new URL(url))).toBe(true);
    }
    for (const url of ['https://example/x', 'https://sub.files.example/x', 'http://127.0.0.1/x']) {
      expect(policy.owns(new URL(url))).toBe(false);
    }
  });
});

describe('metadata through a UrlReaderService with Backpack first', () => {
  let upstream: HostileUpstream;
  let gate: BackpackUpstreamGate;
  let client: UpstreamClient;

  beforeAll(async () => {
    upstream = await HostileUpstream.start();
    const config = new ConfigReader({ backpack: { allowedHosts: [`127.0.0.1:${upstream.port}`] } });
    gate = BackpackUpstreamGate.fromConfig(config);
    const urlReader = UrlReaders.default({
      config,
      logger: mockServices.logger.mock(),
      factories: [gate.readerFactory],
    });
    client = new UpstreamClient({ retries: 1, backoffMs: 1, maxMetadataBytes: 64 }, gate.transport, urlReader);
  });

  afterAll(async () => {
    await gate.transport.close();
    await upstream.close();
  });

  it('keeps conditional requests, answers and limits as the gated client has them', async () => {
    let calls = 0;
    upstream
      .on('/meta.json', (req, res) => {
        if (req.headers['if-none-match'] === '"v2"') res.writeHead(304).end();
        else res.writeHead(200, { etag: '"v2"', 'last-modified': MODIFIED }).end('{"a":1}');
      })
      .on('/forbidden', (_req, res) => res.writeHead(403).end(SECRET))
      .on('/flaky', (_req, res) => {
        calls += 1;
        if (calls === 1) res.writeHead(503, { 'retry-after': '0' }).end();
        else res.writeHead(200).end('{}');
      })
      .serve('/large.json', Buffer.alloc(1000, 'a'));

    const first = await client.readJson(`${upstream.url}/meta.json`);
    expect(first.json).toEqual({ a: 1 });
    expect(first.response.validators).toEqual({ etag: '"v2"', lastModified: MODIFIED });
    expect(first.response.headers.get('last-modified')).toBe(MODIFIED);
    const again = await client.read(`${upstream.url}/meta.json`, { validators: { etag: '"v2"' } });
    expect(again).toMatchObject({ status: 304, notModified: true });
    expect(client.counters.notModified).toBe(1);

    const forbidden = await client.read(`${upstream.url}/forbidden`);
    expect(forbidden).toMatchObject({ status: 403 });
    expect(forbidden.body.length).toBe(0);
    expect((await client.read(`${upstream.url}/missing`)).status).toBe(404);
    expect((await client.read(`${upstream.url}/flaky`)).status).toBe(200);
    expect(calls).toBe(2);
    await expect(client.read(`${upstream.url}/large.json`)).rejects.toThrow(
      `${upstream.url}/large.json: the response is larger than backpack.upstream.maxMetadataBytes (64 bytes)`,
    );
  });

  it('refuses what no reader claims in Backpack\'s terms without the query, and a redirect off the gate', async () => {
    upstream.redirect('/away', 'http://localhost:1/internal');
    const refused = await client.read('http://localhost:1/x?token=abc').catch(e => e);
    expect(refused).toBeInstanceOf(NotAllowedError);
    expect(refused.message).toContain('Host localhost:1 is not in the allowed hosts');
    expect(refused.message).not.toContain('token');
    const away = await client.read(`${upstream.url}/away`).catch(e => e);
    expect(away).toBeInstanceOf(DisallowedHostError);
    expect(client.counters.retries).toBe(1); // the 503 above only
  });
});
