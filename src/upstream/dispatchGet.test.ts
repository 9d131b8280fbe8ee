import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { dispatchGet } from './dispatchGet';
import { discardBody } from './readBoundedBody';
import { readText } from '../__testUtils__/streams';

describe('dispatchGet', () => {
  let server: Server;
  let base: string;
  const agent = new Agent({ connections: 1 });
  /** For requests that are cut off: their connection is not reused. */
  const spare = new Agent();
  /** The requests whose connection closed before the answer ended. */
  let cutOff = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      switch (req.url?.split('?')[0]) {
        case '/unchanged':
          res.writeHead(304, { etag: '"v1"' });
          res.end();
          return;
        case '/doc':
          res.writeHead(200, { 'content-type': 'application/json', 'x-seen': ['a', 'b'] });
          res.end(JSON.stringify({ header: req.headers['if-none-match'] ?? null }));
          return;
        case '/slow':
          // Headers never come.
          req.on('close', () => (cutOff += 1));
          return;
        case '/endless':
          res.writeHead(200);
          res.write(Buffer.alloc(256 * 1024));
          res.on('close', () => (cutOff += res.writableFinished ? 0 : 1));
          return;
        default:
          res.writeHead(404);
          res.end();
      }
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await agent.close();
    await spare.destroy();
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  });

  it('answers a 304 with its headers and an empty body that discards at once', async () => {
    const response = await dispatchGet(agent, new URL(`${base}/unchanged`), { 'if-none-match': '"v1"' });
    expect(response.statusCode).toBe(304);
    expect(response.headers.etag).toBe('"v1"');
    await discardBody(response.body);
    expect(response.body.destroyed).toBe(true);
    // The connection is reused for the next request.
    const again = await dispatchGet(agent, new URL(`${base}/doc`), { 'if-none-match': '"v1"' });
    expect(JSON.parse(await readText(again.body))).toEqual({ header: '"v1"' });
  });

  it('gives the body as a stream and repeated headers as arrays, names in lower case', async () => {
    const response = await dispatchGet(agent, new URL(`${base}/doc?x=1`), {});
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['x-seen']).toEqual(['a', 'b']);
    expect(JSON.parse(await readText(response.body))).toEqual({ header: null });
  });

  it('rejects with the signal reason, before and while waiting for headers', async () => {
    const reason = new Error('deadline');
    await expect(dispatchGet(agent, new URL(`${base}/doc`), {}, AbortSignal.abort(reason))).rejects.toBe(reason);
    const controller = new AbortController();
    const pending = dispatchGet(spare, new URL(`${base}/slow`), {}, controller.signal);
    setTimeout(() => controller.abort(reason), 50);
    await expect(pending).rejects.toBe(reason);
  });

  it('aborts the request when the body is aborted or destroyed before its end', async () => {
    const controller = new AbortController();
    const reason = new Error('deadline');
    const response = await dispatchGet(spare, new URL(`${base}/endless`), {}, controller.signal);
    controller.abort(reason);
    await expect(readText(response.body)).rejects.toBe(reason);
    const other = await dispatchGet(spare, new URL(`${base}/endless`), {});
    await discardBody(other.body);
    expect(other.body.destroyed).toBe(true);
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(cutOff).toBeGreaterThanOrEqual(2);
  });
});
