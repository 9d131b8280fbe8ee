import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { createHash } from 'node:crypto';
import { FakeGithubReleases, FakeRelease, sha256sums } from '../../__testUtils__/fakeGithubReleases';
import { HostileUpstream } from '../../__testUtils__/hostileUpstream';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { fresh } from '../__testUtils__/discoveryResults';
import { BackpackProcessor } from '../types';
import { createGithubReleasesProcessor } from './GithubReleasesProcessor';

const logger = mockServices.logger.mock();
const TOKEN = 'ghp_release-token-0123456789';
const bytes = (text: string) => Buffer.from(`${text}\n`);
const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');

const linux = { name: 'tool_2.0.0_linux_amd64.tar.gz', body: bytes('linux 2') };
const darwin = { name: 'tool_2.0.0_darwin_arm64.tar.gz', body: bytes('darwin 2') };
const RELEASES: FakeRelease[] = [
  { tag: 'v3.0.0-rc.1', prerelease: true, publishedAt: '2026-05-01T00:00:00Z', assets: [] },
  { tag: 'v2.1.0', draft: true, publishedAt: '2026-04-01T00:00:00Z', assets: [] },
  {
    tag: 'v2.0.0',
    publishedAt: '2026-03-01T00:00:00Z',
    assets: [linux, darwin, { name: 'checksums.txt', body: sha256sums([linux, darwin]) }, { name: 'notes.md', body: bytes('notes') }],
  },
  {
    tag: 'v1.0.0',
    publishedAt: '2026-01-01T00:00:00Z',
    assets: [
      { name: 'tool-linux.zip', body: bytes('linux 1'), apiDigest: true },
      { name: 'tool-windows.zip', body: bytes('windows 1') },
    ],
  },
  { tag: 'nightly', publishedAt: '2026-06-01T00:00:00Z', assets: [] },
  { tag: 'cli/v0.1.0', publishedAt: '2025-01-01T00:00:00Z', assets: [] },
];

describe('createGithubReleasesProcessor', () => {
  let fake: FakeGithubReleases;
  let processor: BackpackProcessor;
  const create = (settings: Record<string, unknown> = {}) =>
    createGithubReleasesProcessor({
      config: new ConfigReader({ apiUrl: fake.apiUrl, downloadHosts: [fake.storage.url], ...settings }),
      upstream: new UpstreamClient({ retries: 0 }),
    });
  const describe_ = (version: string, config = {}) =>
    processor.describeVersion!({ id: 'acme/tool', config, version }, { logger });

  beforeAll(async () => {
    fake = await FakeGithubReleases.start({ owner: 'acme', repo: 'tool', releases: RELEASES, perPage: 2 });
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.seen.length = 0;
    processor = create({ token: TOKEN });
  });

  it('names repositories owner/repo, case-insensitively', () => {
    expect(processor.name).toBe('github-releases');
    expect(processor.normalizeId?.('Acme/Tool')).toBe('acme/tool');
    const normalize = processor.normalizeId!;
    for (const bad of ['acme', 'a/b/c', 'acme/..', '../x', 'acme/to ol']) {
      expect(() => normalize(bad)).toThrow(/id: .* is not a GitHub repository/);
    }
    const defaults = createGithubReleasesProcessor({ upstream: new UpstreamClient() });
    expect(defaults.allowedHosts?.()).toEqual([
      'api.github.com',
      'github.com',
      'objects.githubusercontent.com',
      'release-assets.githubusercontent.com',
    ]);
  });

  it('lists published tags over every page of the Link header, drafts never, pre-releases when asked', async () => {
    const result = fresh(await processor.discover({ id: 'acme/tool', config: {} }, { logger }));
    // A tag with a slash cannot be one path segment of the view or a bundle.
    expect(result.versions.map(v => v.version)).toEqual(['v2.0.0', 'v1.0.0', 'nightly']);
    expect(fake.requests('api', '/api/v3/repos/acme/tool/releases?').map(r => r.path)).toEqual([
      '/api/v3/repos/acme/tool/releases?per_page=100',
      '/api/v3/repos/acme/tool/releases?per_page=100&page=2',
      '/api/v3/repos/acme/tool/releases?per_page=100&page=3',
    ]);
    // Several pages: a conditional request on the first would miss changes on later ones.
    expect(result.validators).toBeUndefined();
    const withPre = fresh(
      await processor.discover({ id: 'acme/tool', config: { includePrereleases: true } }, { logger }),
    );
    expect(withPre.versions.map(v => v.version)).toContain('v3.0.0-rc.1');
    expect(withPre.versions.map(v => v.version)).not.toContain('v2.1.0');
  });

  it('stops at the page cap', async () => {
    processor = create({ maxPages: 1 });
    const result = fresh(await processor.discover({ id: 'acme/tool', config: { includePrereleases: true } }, { logger }));
    expect(result.versions.map(v => v.version)).toEqual(['v3.0.0-rc.1']);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('more than 1 pages of releases'));
  });

  it('orders semver tags by semver after other tags, which go by publish date', async () => {
    await processor.discover({ id: 'acme/tool', config: {} }, { logger });
    const scheme = processor.versions;
    expect(['v2.0.0', 'nightly', 'v1.0.0', 'v10.0.0'].sort((a, b) => scheme.compare(a, b))).toEqual([
      'nightly',
      'v1.0.0',
      'v2.0.0',
      'v10.0.0',
    ]);
    expect(scheme.satisfies('v2.0.0', '>=2 <3')).toBe(true);
    expect(scheme.satisfies('nightly', '*')).toBe(false);
  });

  it('verifies assets against the checksums file, collects the checksums file, and sends the token to the API only', async () => {
    const v2 = await describe_('v2.0.0', { assets: '_linux_|_darwin_' });
    const sums = RELEASES[2].assets[2].body;
    expect(v2.files.map(f => [f.name, f.integrity?.digest])).toEqual([
      [linux.name, sha256(linux.body)],
      [darwin.name, sha256(darwin.body)],
      ['checksums.txt', sha256(sums)],
    ]);
    expect(v2.files[0]).toMatchObject({
      uri: `${fake.apiUrl}/repos/acme/tool/releases/assets/3000`,
      path: `acme/tool/v2.0.0/${linux.name}`,
      size: linux.body.length,
    });
    // The checksums file came through the API and its redirect: the token to the API only.
    const apiHeaders = fake.requests('api').map(r => r.headers.authorization);
    expect(apiHeaders.length).toBeGreaterThan(0);
    expect(new Set(apiHeaders)).toEqual(new Set([`Bearer ${TOKEN}`]));
    const stored = fake.requests('storage');
    expect(stored).toHaveLength(1);
    expect(stored[0].headers.authorization).toBeUndefined();
    expect(JSON.stringify(stored[0].headers)).not.toContain(TOKEN);
    // Read once: the next description takes it from the cache.
    await describe_('v2.0.0');
    expect(fake.requests('storage')).toHaveLength(1);
  });

  it("falls back to the API's digest, and leaves assets without either unverified", async () => {
    const v1 = await describe_('v1.0.0');
    expect(v1.files.map(f => [f.name, f.integrity?.digest])).toEqual([
      ['tool-linux.zip', sha256(bytes('linux 1'))],
      ['tool-windows.zip', undefined],
    ]);
  });

  it('downloads from browser_download_url without a token', async () => {
    processor = create();
    const v1 = await describe_('v1.0.0');
    expect(v1.files[0].uri).toBe(`${fake.api.url}/acme/tool/releases/download/v1.0.0/tool-linux.zip`);
    expect(fake.requests('api').every(r => r.headers.authorization === undefined)).toBe(true);
  });

  it('refuses drafts, excluded pre-releases and unknown tags as not found, and bad patterns as input', async () => {
    await expect(describe_('v2.1.0')).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(describe_('v3.0.0-rc.1')).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(describe_('v9.9.9')).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(describe_('v1.0.0', { assets: '(?<=x)' })).rejects.toThrow(/config\.assets: must be a valid regular expression/);
    await expect(describe_('v1.0.0', { other: 1 })).rejects.toThrow(/unknown github-releases config key/);
  });

  it('refuses a next page outside the API base URL, never requesting it, and says when the rate limit is used up', async () => {
    const hostile = await HostileUpstream.start();
    try {
      hostile.serve('/api/v3/repos/acme/tool/releases', '[]', {
        link: `<${hostile.url}/elsewhere/releases?page=2>; rel="next"`,
      });
      const upstream = new UpstreamClient({ retries: 0 });
      const reader = createGithubReleasesProcessor({
        config: new ConfigReader({ apiUrl: `${hostile.url}/api/v3`, token: TOKEN }),
        upstream,
      });
      await expect(reader.discover({ id: 'acme/tool', config: {} }, { logger })).rejects.toThrow(
        /the next page is outside/,
      );
      expect(hostile.requests.filter(path => path.startsWith('/elsewhere'))).toEqual([]);
      hostile.on('/api/v3/repos/acme/limited/releases', (_req, res) => {
        res.writeHead(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1800000000' }).end('{"message":"secret"}');
      });
      const limited = reader.discover({ id: 'acme/limited', config: {} }, { logger });
      await expect(limited).rejects.toThrow(/rate limit is used up until 2027-01-15T08:00:00.000Z/);
      await expect(limited).rejects.not.toThrow(/secret/);
    } finally {
      await hostile.close();
    }
  });
});
