import http from 'node:http';
import { HostileUpstream } from '../__testUtils__/hostileUpstream';
import { readText } from '../__testUtils__/streams';
import { HostPolicy } from './HostPolicy';
import { SafeFetcher } from './SafeFetcher';
import { UpstreamAuthenticator, UpstreamTransport } from './UpstreamTransport';

/** An authenticator that learns its token from a challenge, as a registry's would. */
class TestAuthenticator implements UpstreamAuthenticator {
  token?: string;
  challenges: string[][] = [];
  constructor(private readonly grant: string | undefined) {}
  accept(url: URL) {
    return url.pathname.includes('/manifests/') ? 'application/vnd.test.manifest+json' : undefined;
  }
  async authorization() {
    return this.token ? `Bearer ${this.token}` : undefined;
  }
  async challenge(_url: URL, values: string[]) {
    this.challenges.push(values);
    this.token = this.grant;
    return this.grant !== undefined;
  }
}

describe('UpstreamTransport authenticators', () => {
  let registry: HostileUpstream;
  let cdn: HostileUpstream;
  const seen: Array<{ host: string; path: string; headers: http.IncomingHttpHeaders }> = [];
  const transports: UpstreamTransport[] = [];

  const record = (host: string, req: http.IncomingMessage) =>
    seen.push({ host, path: req.url ?? '', headers: req.headers });

  function transport(authenticator: UpstreamAuthenticator) {
    const policy = new HostPolicy().allow([registry.url, cdn.url], 'operator');
    const result = new UpstreamTransport({ policy });
    result.addAuthenticator(url => url.origin === registry.url, authenticator);
    transports.push(result);
    return result;
  }

  beforeAll(async () => {
    registry = await HostileUpstream.start();
    cdn = await HostileUpstream.start();
    const guarded = (then: (res: http.ServerResponse) => void) => (req: http.IncomingMessage, res: http.ServerResponse) => {
      record('registry', req);
      if (req.headers.authorization !== 'Bearer good') {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="x",scope="y"' }).end('SECRET-401-BODY');
        return;
      }
      then(res);
    };
    registry.on('/v2/app/manifests/1', guarded(res => res.writeHead(200).end('manifest')));
    registry.on(
      '/v2/app/blobs/b',
      guarded(res => res.writeHead(307, { location: `${cdn.url}/storage/b?signature=s` }).end()),
    );
    cdn.on('/storage/b', (req, res) => {
      record('cdn', req);
      res.writeHead(200).end('blob bytes');
    });
  });

  afterEach(() => {
    seen.length = 0;
  });

  afterAll(async () => {
    await Promise.all(transports.map(t => t.close()));
    await registry.close();
    await cdn.close();
  });

  it('answers a challenge once and retries with the credentials it obtained, with the Accept the URL needs', async () => {
    const authenticator = new TestAuthenticator('good');
    const opened = await transport(authenticator).open(`${registry.url}/v2/app/manifests/1`, {
      headers: { accept: '*/*' },
    });
    expect(opened.statusCode).toBe(200);
    expect(await readText(opened.body)).toBe('manifest');
    expect(authenticator.challenges).toEqual([['Bearer realm="x",scope="y"']]);
    expect(seen.map(s => [s.headers.authorization, s.headers.accept])).toEqual([
      [undefined, 'application/vnd.test.manifest+json'],
      ['Bearer good', 'application/vnd.test.manifest+json'],
    ]);
  });

  it('sends no credentials, its own or the caller\'s, on a redirect to another origin', async () => {
    const authenticator = new TestAuthenticator('good');
    authenticator.token = 'good';
    const fetcher = new SafeFetcher({ transport: transport(authenticator) });
    const fetched = await fetcher.fetch(`${registry.url}/v2/app/blobs/b`);
    expect(await readText(fetched.body)).toBe('blob bytes');
    const opened = await transport(authenticator).open(`${registry.url}/v2/app/blobs/b`, {
      headers: { authorization: 'Basic c2VjcmV0', cookie: 'session=1' },
    });
    await readText(opened.body);
    const cdnRequests = seen.filter(s => s.host === 'cdn');
    expect(cdnRequests).toHaveLength(2);
    for (const request of cdnRequests) {
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers.cookie).toBeUndefined();
    }
    expect(seen.filter(s => s.host === 'registry').map(s => s.headers.authorization)).toEqual([
      'Bearer good',
      'Bearer good',
    ]);
  });

  it('hands a 401 back unread when the challenge cannot be answered, and retries at most once', async () => {
    const refused = await transport(new TestAuthenticator(undefined)).open(`${registry.url}/v2/app/manifests/1`);
    expect(refused.statusCode).toBe(401);
    expect(await readText(refused.body)).toBe('');
    expect(seen).toHaveLength(1);

    seen.length = 0;
    const wrong = await transport(new TestAuthenticator('wrong')).open(`${registry.url}/v2/app/manifests/1`);
    // The second answer is handed back like any other; callers never read a 4xx body.
    expect(wrong.statusCode).toBe(401);
    await readText(wrong.body);
    expect(seen).toHaveLength(2);
  });

  it('sends no credentials when asked not to authenticate (a token request itself)', async () => {
    const authenticator = new TestAuthenticator('good');
    authenticator.token = 'good';
    const opened = await transport(authenticator).open(`${registry.url}/v2/app/manifests/1`, {
      authenticate: false,
    });
    expect(opened.statusCode).toBe(401);
    expect(authenticator.challenges).toEqual([]);
    expect(seen[0].headers.authorization).toBeUndefined();
  });
});
