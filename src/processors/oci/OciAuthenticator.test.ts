import { HostileUpstream } from '../../__testUtils__/hostileUpstream';
import { FakeOciRegistry } from '../../__testUtils__/fakeOciRegistry';
import { buildImage } from '../../__testUtils__/ociImages';
import { HostPolicy } from '../../upstream/HostPolicy';
import { SafeFetcher } from '../../upstream/SafeFetcher';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { UpstreamTransport } from '../../upstream/UpstreamTransport';
import { parseChallenges } from './authChallenge';
import { OciRegistry } from './ociConfig';
import { OciAuthenticator } from './OciAuthenticator';

const image = buildImage('private');

function registryFor(url: string, extra: Partial<OciRegistry> = {}): OciRegistry {
  return { alias: 'local', origin: new URL(url).origin, namespace: '', hosts: [], trust: 'operator', ...extra };
}

/** A client and a fetcher over one transport with the registry's authenticator, as the plugin wires them. */
function gate(registry: OciRegistry, clock?: () => number) {
  const policy = new HostPolicy().allow([registry.origin, ...registry.hosts], 'operator');
  const transport = new UpstreamTransport({ policy });
  const client = new UpstreamClient({ retries: 0 }, transport);
  const authenticator = new OciAuthenticator(registry, client, clock);
  transport.addAuthenticator(authenticator.matches, authenticator);
  return { client, authenticator, fetcher: new SafeFetcher({ transport }), close: () => transport.close() };
}

describe('parseChallenges', () => {
  it('reads bearer and basic challenges, quoted values with escapes, and stops at garbage', () => {
    expect(
      parseChallenges(['Bearer realm="https://auth.test/token",service="reg \\"x\\"",scope="repository:a/b:pull"', 'Basic realm=Registry']),
    ).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.test/token', service: 'reg "x"', scope: 'repository:a/b:pull' } },
      { scheme: 'basic', params: { realm: 'Registry' } },
    ]);
    expect(parseChallenges(['Bearer realm="unterminated'])).toEqual([{ scheme: 'bearer', params: {} }]);
    expect(parseChallenges([`Bearer realm="${'x'.repeat(5000)}"`])).toEqual([]);
    expect(parseChallenges(['=oops'])).toEqual([]);
  });
});

describe('OciAuthenticator', () => {
  let registry: FakeOciRegistry;

  afterEach(() => registry?.close());

  it('gets a pull token for the one repository a URL names, with the configured credentials, and keeps it until it expires', async () => {
    registry = await FakeOciRegistry.start({ tokenAuth: { username: 'robot', password: 's3cret' } });
    registry.push('team/app', '1', image).push('team/other', '1', image);
    let now = 1_000_000;
    const { client, close } = gate(registryFor(registry.url, { username: 'robot', password: 's3cret' }), () => now);
    try {
      const manifest = (repo: string) => client.get(`${registry.url}/v2/${repo}/manifests/1`);
      expect((await manifest('team/app')).status).toBe(200);
      expect((await manifest('team/app')).status).toBe(200);
      expect(registry.tokensIssued).toHaveLength(1);
      // Another repository: its own token, fetched before the request now that the realm is known.
      expect((await manifest('team/other')).status).toBe(200);
      expect(registry.tokensIssued).toHaveLength(2);
      const tokenRequests = registry.requests.filter(r => r.path.startsWith('/token'));
      expect(tokenRequests.map(r => decodeURIComponent(r.path))).toEqual([
        '/token?service=fake&scope=repository:team/app:pull',
        '/token?service=fake&scope=repository:team/other:pull',
      ]);
      expect(tokenRequests.every(r => r.authorization === `Basic ${Buffer.from('robot:s3cret').toString('base64')}`)).toBe(true);
      now += 301_000;
      expect((await manifest('team/app')).status).toBe(200);
      expect(registry.tokensIssued).toHaveLength(3);
    } finally {
      await close();
    }
  });

  it('sends nothing to a token realm on a host that is not the registry\'s or listed', async () => {
    const elsewhere = await HostileUpstream.start();
    elsewhere.serve('/token', JSON.stringify({ token: 'stolen' }));
    registry = await FakeOciRegistry.start({ tokenAuth: { realm: `${elsewhere.url}/token` } });
    registry.push('team/app', '1', image);
    // Even an allowed host is no realm unless the registry's config lists it.
    const oci = registryFor(registry.url, { username: 'robot', password: 's3cret' });
    const { client, close } = gate(oci);
    client.policy.allow([elsewhere.url], 'operator');
    try {
      await expect(client.get(`${registry.url}/v2/team/app/manifests/1`)).rejects.toThrow(
        /is neither the registry's host nor one of backpack\.processors\.oci\.registries\.local\.hosts/,
      );
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await close();
      await elsewhere.close();
    }
  });

  it('refuses a realm that downgrades to http, or carries credentials, before any request', async () => {
    const authenticator = new OciAuthenticator(registryFor('https://registry.test'), new UpstreamClient());
    const url = new URL('https://registry.test/v2/a/manifests/1');
    await expect(authenticator.challenge(url, ['Bearer realm="http://registry.test/token"'])).rejects.toThrow(/is not https/);
    await expect(authenticator.challenge(url, ['Bearer realm="https://u:p@registry.test/token"'])).rejects.toThrow(/carries credentials/);
    await expect(authenticator.challenge(url, ['Bearer realm="not a url"'])).rejects.toThrow(/is not a URL/);
  });

  it('refuses a token answer without a usable token, and answers Basic only with credentials', async () => {
    const upstream = await HostileUpstream.start();
    upstream.serve('/token', JSON.stringify({ token: 'has spaces in it' }));
    try {
      const { authenticator, close } = gate(registryFor(upstream.url));
      const url = new URL(`${upstream.url}/v2/a/manifests/1`);
      await expect(authenticator.challenge(url, [`Bearer realm="${upstream.url}/token"`])).rejects.toThrow(/no usable token/);
      expect(await authenticator.challenge(url, ['Basic realm="r"'])).toBe(false);
      await close();
      const withCredentials = gate(registryFor(upstream.url, { username: 'u', password: 'p' }));
      expect(await withCredentials.authenticator.challenge(url, ['Basic realm="r"'])).toBe(true);
      expect(await withCredentials.authenticator.authorization(url)).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
      await withCredentials.close();
    } finally {
      await upstream.close();
    }
  });

  it('asks for pull on the URL\'s repository only, whatever scope the registry offers', async () => {
    registry = await FakeOciRegistry.start({ tokenAuth: {} });
    registry.push('team/app', '1', image);
    registry.override('/v2/team/app/manifests/1', (req, res) => {
      if (!req.headers.authorization) {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${registry.url}/token",scope="repository:team/app:push,pull repository:admin:*"` });
        res.end();
        return;
      }
      res.writeHead(200).end('{}');
    });
    const { client, close } = gate(registryFor(registry.url));
    try {
      await client.get(`${registry.url}/v2/team/app/manifests/1`);
      const [token] = registry.requests.filter(r => r.path.startsWith('/token'));
      expect(decodeURIComponent(token.path)).toBe('/token?scope=repository:team/app:pull');
    } finally {
      await close();
    }
  });
});
