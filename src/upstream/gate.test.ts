import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { getEventListeners } from 'node:events';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { HostileUpstream } from '../__testUtils__/hostileUpstream';
import { isRetryable, SafeFetcher } from './SafeFetcher';
import { UpstreamClient, UpstreamClientOptions } from './UpstreamClient';
import {
  DisallowedHostError,
  ResponseTooLargeError,
  TransferTimeoutError,
  UpstreamHttpError,
} from './errors';
import { HostPolicy, HostTrust } from './HostPolicy';
import { DownloadLimits } from './limits';
import { BackpackUpstreamGate } from './upstreamGateService';
import { UpstreamTransport } from './UpstreamTransport';

const SECRET = 'SECRET-INTERNAL-BODY';

async function drain(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

describe('the upstream gate', () => {
  let upstream: HostileUpstream;
  let internal: HostileUpstream;
  const opened: UpstreamTransport[] = [];

  /**
   * A discovery client and a collection fetcher sharing one transport and
   * policy, reading as in the plugin: through a UrlReaderService of
   * Backstage's readers with Backpack's first.
   */
  function throughReaders(
    transport: UpstreamTransport,
    options: { client?: Partial<UpstreamClientOptions>; download?: Partial<DownloadLimits> } = {},
  ) {
    opened.push(transport);
    const readers = UrlReaders.default({
      config: new ConfigReader({}),
      logger: mockServices.logger.mock(),
      factories: [new BackpackUpstreamGate(() => transport).readerFactory],
    });
    return {
      client: new UpstreamClient({ retries: 0, ...options.client }, transport, readers),
      fetcher: new SafeFetcher({
        reader: readers,
        gated: url => transport.policy.owns(url),
        download: options.download,
      }),
    };
  }

  function gate(
    hosts: Partial<Record<HostTrust, string[]>>,
    options: Parameters<typeof throughReaders>[1] = {},
  ) {
    const policy = new HostPolicy()
      .allow(hosts.operator ?? [], 'operator')
      .allow(hosts.default ?? [], 'default');
    return throughReaders(new UpstreamTransport({ policy }), options);
  }

  beforeAll(async () => {
    upstream = await HostileUpstream.start();
    internal = await HostileUpstream.start();
    internal.serve('/secret', SECRET);
  });

  afterEach(() => {
    upstream.requests.length = 0;
    internal.requests.length = 0;
  });

  afterAll(async () => {
    await Promise.all(opened.map(t => t.close()));
    await upstream.close();
    await internal.close();
  });

  it('checks every redirect hop against the policy, in discovery and collection', async () => {
    upstream
      .redirect('/meta', `${internal.url}/secret`)
      .redirect('/hop1', '/hop2')
      .redirect('/hop2', `${internal.url}/secret`, 307);
    const { client, fetcher } = gate(
      { operator: [`127.0.0.1:${upstream.port}`] },
      { client: { retries: 3, backoffMs: 1 } },
    );

    const discovery = await client.get(`${upstream.url}/meta`).catch(e => e);
    expect(discovery).toBeInstanceOf(DisallowedHostError);
    expect(discovery.message).toContain(`Host 127.0.0.1:${internal.port} is not in the allowed hosts`);
    const read = await client.read(`${upstream.url}/meta`).catch(e => e);
    expect(read).toBeInstanceOf(DisallowedHostError);
    expect(read.message).toBe(discovery.message);
    const collection = await fetcher.fetch(`${upstream.url}/hop1`).catch(e => e);
    expect(collection).toBeInstanceOf(DisallowedHostError);
    expect(isRetryable(collection)).toBe(false);

    // Refusals are final: not retried, and the refused host never asked.
    expect(upstream.requests).toEqual(['/meta', '/meta', '/hop1', '/hop2']);
    expect(internal.requests).toEqual([]);
    expect(`${discovery.message} ${collection.message}`).not.toContain(SECRET);

    // Once the target is allowed, the same redirects are followed.
    const open = gate({ operator: [`127.0.0.1:${upstream.port}`, `127.0.0.1:${internal.port}`] });
    expect((await open.client.get(`${upstream.url}/meta`)).url).toBe(`${internal.url}/secret`);
    expect((await open.client.read(`${upstream.url}/meta`)).url).toBe(`${internal.url}/secret`);
    expect(await drain((await open.fetcher.fetch(`${upstream.url}/hop1`)).body)).toBe(SECRET);
  });

  it('lets a host the operator listed resolve to loopback, but never a default host', async () => {
    upstream.serve('/ok.json', '{"ok":true}');
    const url = `http://localhost:${upstream.port}/ok.json`;

    // backpack.allowedHosts names operator hosts.
    const listed = throughReaders(
      UpstreamTransport.fromConfig(
        new ConfigReader({ backpack: { allowedHosts: [`localhost:${upstream.port}`] } }),
      ),
    );
    expect((await listed.client.getJson(url)).json).toEqual({ ok: true });
    expect((await listed.client.readJson(url)).json).toEqual({ ok: true });
    expect(await drain((await listed.fetcher.fetch(url)).body)).toBe('{"ok":true}');
    expect(upstream.requests).toEqual(['/ok.json', '/ok.json', '/ok.json']);

    // A built-in default upstream that DNS points inwards is refused at connect time.
    const defaults = gate({ default: [`localhost:${upstream.port}`] }, { client: { retries: 2 } });
    // Each refusal is caught at once: the three run together, and one that
    // fails while an earlier one is awaited must not go unhandled.
    for (const attempt of [
      defaults.client.get(url),
      defaults.client.read(url),
      defaults.fetcher.fetch(url),
    ].map(p => p.catch(e => e))) {
      const error = await attempt;
      expect(error).toBeInstanceOf(DisallowedHostError);
      expect(error.message).toMatch(/resolves to .*not public/);
    }
    expect(upstream.requests).toHaveLength(3);
  });

  it('refuses schemes, credentials, hosts and ports that are not allowed before connecting', async () => {
    const { client, fetcher } = gate({ operator: [`127.0.0.1:${upstream.port}`] });
    for (const uri of [
      `http://127.0.0.1:${internal.port}/secret`,
      `http://127.0.0.1/secret`,
      `ftp://127.0.0.1:${upstream.port}/x`,
      'file:///etc/passwd',
      `http://user:hunter2@127.0.0.1:${upstream.port}/x`,
      'not a url',
    ]) {
      for (const attempt of [client.get(uri), client.read(uri), fetcher.fetch(uri)].map(p => p.catch(e => e))) {
        const error = await attempt;
        expect(error).toBeInstanceOf(DisallowedHostError);
        expect(error.message).not.toContain('hunter2');
      }
    }
    expect(upstream.requests).toEqual([]);
    expect(internal.requests).toEqual([]);
  });

  it('fails a metadata document over the cap, announced, streamed or compressed, without retrying', async () => {
    upstream
      .serve('/announced.json', Buffer.alloc(10_000, 'a'))
      .on('/endless.json', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const timer = setInterval(() => res.write(Buffer.alloc(16_384, 'a')), 5);
        res.on('close', () => clearInterval(timer));
      })
      .serve('/bomb.json', gzipSync(Buffer.alloc(50_000_000, ' ')), { 'content-encoding': 'gzip' })
      .serve('/small.json', gzipSync('{"versions":{}}'), { 'content-encoding': 'gzip' });
    const { client } = gate(
      { operator: [`127.0.0.1:${upstream.port}`] },
      { client: { maxMetadataBytes: 4096, retries: 2, backoffMs: 1 } },
    );
    const paths = ['/announced.json', '/endless.json', '/bomb.json'];
    for (const path of paths) {
      // A URL reader asks for no compression; the bomb's bytes exceed the cap anyway.
      for (const attempt of [client.get(`${upstream.url}${path}`), client.read(`${upstream.url}${path}`)].map(p => p.catch(e => e))) {
        const error = await attempt;
        expect(error).toBeInstanceOf(ResponseTooLargeError);
        expect(error.message).toBe(
          `${upstream.url}${path}: the response is larger than backpack.upstream.maxMetadataBytes (4096 bytes)`,
        );
      }
    }
    expect(upstream.requests).toEqual(paths.flatMap(path => [path, path]));
    // Compressed documents under the cap are decoded.
    expect((await client.getJson(`${upstream.url}/small.json`)).json).toEqual({ versions: {} });
  });

  it('never reads or echoes the body of an error answer, nor secrets of its URL', async () => {
    upstream.on('/broken', (_req, res) => res.writeHead(500).end(SECRET));
    const { client, fetcher } = gate({ operator: [`127.0.0.1:${upstream.port}`] });
    const discovery = await client.get(`${upstream.url}/broken?token=abc`).catch(e => e);
    expect(discovery).toBeInstanceOf(UpstreamHttpError);
    expect(discovery.message).toBe(`GET ${upstream.url}/broken?… answered 500`);
    const read = await client.read(`${upstream.url}/broken?token=abc`).catch(e => e);
    expect(read).toBeInstanceOf(UpstreamHttpError);
    expect(read.message).toBe(`GET ${upstream.url}/broken?… answered 500`);
    const collection = await fetcher.fetch(`${upstream.url}/broken?token=abc`).catch(e => e);
    expect(collection.message).toBe(`GET ${upstream.url}/broken?… answered 500`);
    // A 404 is an answer, not an error, and comes without its body.
    upstream.on('/gone', (_req, res) => res.writeHead(404).end(SECRET));
    for (const missing of [
      await client.get(`${upstream.url}/gone`),
      await client.read(`${upstream.url}/gone`),
    ]) {
      expect(missing.status).toBe(404);
      expect(missing.body.length).toBe(0);
    }
  });

  it('waits as long as Retry-After says rather than its own backoff', async () => {
    let calls = 0;
    upstream.on('/busy', (_req, res) => {
      calls += 1;
      if (calls % 2 === 1) res.writeHead(503, { 'retry-after': '0' }).end();
      else res.writeHead(200).end('{}');
    });
    // Ten minutes of backoff would outlast the test; Retry-After: 0 does not.
    const { client } = gate(
      { operator: [`127.0.0.1:${upstream.port}`] },
      { client: { retries: 1, backoffMs: 600_000 } },
    );
    expect((await client.get(`${upstream.url}/busy`)).status).toBe(200);
    expect((await client.read(`${upstream.url}/busy`)).status).toBe(200);
    expect(calls).toBe(4);
    expect(client.counters.retries).toBe(2);
  });

  it('retries and runs many requests on one signal without piling up abort listeners', async () => {
    upstream.on('/down', (_req, res) => res.writeHead(503).end());
    upstream.serve('/ok', '{}');
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const { client } = gate(
        { operator: [`127.0.0.1:${upstream.port}`] },
        { client: { retries: 25, backoffMs: 1, maxRetryAfterMs: 2 } },
      );
      const controller = new AbortController();
      const { signal } = controller;
      await expect(client.get(`${upstream.url}/down`, { signal })).rejects.toThrow(
        UpstreamHttpError,
      );
      expect(client.counters.retries).toBe(25);
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          i % 2 ? client.get(`${upstream.url}/ok`, { signal }) : client.read(`${upstream.url}/ok`, { signal }),
        ),
      );
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
      await new Promise(resolve => setImmediate(resolve));
      expect(warnings.filter(w => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it("stops a request in flight when the caller's signal aborts, without retrying it", async () => {
    upstream.on('/slow.json', (_req, res) => {
      res.writeHead(200, { 'content-length': 1000 });
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    const { client } = gate({ operator: [`127.0.0.1:${upstream.port}`] }, { client: { retries: 3, backoffMs: 1 } });
    for (const request of [client.get, client.read]) {
      const controller = new AbortController();
      const pending = request.call(client, `${upstream.url}/slow.json`, { signal: controller.signal }).catch(e => e);
      setTimeout(() => controller.abort(new Error('run cancelled')), 100);
      expect(await pending).toBeInstanceOf(Error);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    }
    expect(client.counters.retries).toBe(0);
  });

  it('bounds a metadata request by a deadline that covers the body', async () => {
    upstream.on('/trickle.json', (_req, res) => {
      res.writeHead(200, { 'content-length': 1000 });
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    const { client } = gate(
      { operator: [`127.0.0.1:${upstream.port}`] },
      { client: { timeoutMs: 300 } },
    );
    for (const attempt of [
      client.get(`${upstream.url}/trickle.json`),
      client.read(`${upstream.url}/trickle.json`),
    ].map(p => p.catch(e => e))) {
      const error = await attempt;
      expect(error).toBeInstanceOf(TransferTimeoutError);
      expect(error.message).toMatch(/backpack\.upstream\.timeoutMs/);
    }
  });

  it('fails a trickling download by its minimum rate and a long one by its deadline', async () => {
    upstream
      .on('/loris.tgz', (_req, res) => {
        res.writeHead(200, { 'content-length': 100_000 });
        const timer = setInterval(() => res.write('x'), 100);
        res.on('close', () => clearInterval(timer));
      })
      .on('/steady.tgz', (_req, res) => {
        res.writeHead(200, { 'content-length': 100_000_000 });
        const timer = setInterval(() => res.write(Buffer.alloc(1000)), 10);
        res.on('close', () => clearInterval(timer));
      })
      .on('/silent.tgz', () => {
        // Never answers.
      });
    const started = Date.now();
    const slow = gate(
      { operator: [`127.0.0.1:${upstream.port}`] },
      { download: { minBytesPerSecond: 1000, rateWindowMs: 300 } },
    );
    const { body } = await slow.fetcher.fetch(`${upstream.url}/loris.tgz`);
    const tooSlow = await drain(body).catch(e => e);
    expect(tooSlow).toBeInstanceOf(TransferTimeoutError);
    expect(tooSlow.message).toMatch(/slower than 1000 bytes\/s \(backpack\.collection\.download\.minBytesPerSecond\)/);
    expect(isRetryable(tooSlow)).toBe(true);

    const short = gate(
      { operator: [`127.0.0.1:${upstream.port}`] },
      { download: { timeoutMs: 500, minBytesPerSecond: 0 } },
    );
    const steady = await short.fetcher.fetch(`${upstream.url}/steady.tgz`);
    const late = await drain(steady.body).catch(e => e);
    expect(late).toBeInstanceOf(TransferTimeoutError);
    expect(late.message).toMatch(/backpack\.collection\.download\.timeoutSeconds/);
    // The deadline covers waiting for headers too.
    const silent = await short.fetcher.fetch(`${upstream.url}/silent.tgz`).catch(e => e);
    expect(silent).toBeInstanceOf(TransferTimeoutError);
    expect(isRetryable(silent)).toBe(true);
    // Generous: the point is that none of them hangs.
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
