import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { HostileUpstream } from '../__testUtils__/hostileUpstream';
import { npmPackument } from '../__testUtils__/npmPackument';
import { DisallowedHostError, ResponseTooLargeError } from '../upstream/errors';
import { createMavenProcessor } from './maven';
import { InterpolationLimitError } from './maven/EffectivePomBuilder';
import { createNpmProcessor } from './npm/NpmProcessor';
import { createPypiProcessor } from './pypi';
import { DiscoveryResult } from './types';
import { UpstreamClient } from '../upstream/UpstreamClient';

const SECRET = 'SECRET-INTERNAL-BODY';

function versionsOf(result: DiscoveryResult) {
  if (result.notModified) throw new Error('expected a fresh discovery');
  return result.versions;
}

const packument = (name: string, tarballBase: string) =>
  npmPackument(name, {
    '1.0.0': { dist: { tarball: `${tarballBase}/${name}/-/${name}-1.0.0.tgz`, shasum: 'a'.repeat(40) } },
  });

const pom = (body: string) =>
  `<?xml version="1.0"?><project><modelVersion>4.0.0</modelVersion>${body}</project>`;

describe('processors behind the gate', () => {
  let upstream: HostileUpstream;
  let internal: HostileUpstream;
  const logger = mockServices.logger.mock();
  const clients: UpstreamClient[] = [];
  const client = (options: ConstructorParameters<typeof UpstreamClient>[0] = {}) => {
    const created = new UpstreamClient({ retries: 0, ...options });
    clients.push(created);
    return created;
  };

  beforeAll(async () => {
    upstream = await HostileUpstream.start();
    internal = await HostileUpstream.start();
    internal.on('/admin', (_req, res) => res.writeHead(200).end(SECRET));
  });

  afterEach(() => {
    upstream.requests.length = 0;
    internal.requests.length = 0;
    logger.warn.mockClear();
  });

  afterAll(async () => {
    await Promise.all(clients.map(c => c.close()));
    await upstream.close();
    await internal.close();
  });

  describe('npm', () => {
    const npm = (options: ConstructorParameters<typeof UpstreamClient>[0] = {}, allowed: string[] = []) =>
      createNpmProcessor({
        config: new ConfigReader({ registry: `${upstream.url}/npm`, allowedRegistries: allowed }),
        upstream: client(options),
      });

    it('refuses a per-artifact registry the operator did not allow, before any request', async () => {
      const processor = npm();
      const registry = `${internal.url}/admin?q=#`;
      const parsed = processor.configSchema.safeParse({ registry });
      expect(parsed.error?.issues).toEqual([
        expect.objectContaining({
          path: ['registry'],
          message: `'${internal.url}/admin?…' is not an allowed registry (configure backpack.processors.npm.allowedRegistries)`,
        }),
      ]);
      // Dependencies inherit the registry in their config, so discovery checks it again.
      const error = await processor.discover({ id: 'x', config: { registry } }, { logger }).catch(e => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(/^config\.registry: /);
      expect(internal.requests).toEqual([]);

      // An allowed one is used, and stays confined to the policy's hosts.
      upstream.serve('/mirror/ok', packument('ok', `${upstream.url}/mirror`));
      const allowed = npm({}, [`${upstream.url}/mirror`]);
      const result = await allowed.discover(
        { id: 'ok', config: { registry: `${upstream.url}/mirror/` } },
        { logger },
      );
      expect(versionsOf(result).map(v => v.version)).toEqual(['1.0.0']);
    });

    it('refuses a packument redirected to a host that is not allowed', async () => {
      upstream.redirect('/npm/moved', `${internal.url}/admin`);
      const error = await npm().discover({ id: 'moved', config: {} }, { logger }).catch(e => e);
      expect(error).toBeInstanceOf(DisallowedHostError);
      expect(error.message).not.toContain(SECRET);
      expect(internal.requests).toEqual([]);
    });

    it('fails an oversized packument with a clear error, and never quotes a malformed one', async () => {
      upstream.serve('/npm/huge', `{"versions":{${'"x":1,'.repeat(2000)}"y":1}}`);
      const huge = await npm({ maxMetadataBytes: 4096 })
        .discover({ id: 'huge', config: {} }, { logger })
        .catch(e => e);
      expect(huge).toBeInstanceOf(ResponseTooLargeError);
      expect(huge.message).toBe(
        `${upstream.url}/npm/huge: the response is larger than backpack.upstream.maxMetadataBytes (4096 bytes)`,
      );

      upstream.serve('/npm/garbled', `<html>${SECRET}</html>`);
      const garbled = await npm().discover({ id: 'garbled', config: {} }, { logger }).catch(e => e);
      expect(garbled.message).toBe(`${upstream.url}/npm/garbled: malformed JSON`);
    });
  });

  describe('PyPI', () => {
    it('never fetches metadata from a host that is not allowed, nor files outside the index', async () => {
      const index = `${upstream.url}/repo`;
      upstream
        .serve(
          '/repo/simple/pkg/',
          JSON.stringify({
            meta: { 'api-version': '1.0' },
            name: 'pkg',
            files: [
              {
                filename: 'pkg-1.0-py3-none-any.whl',
                url: `${internal.url}/admin/pkg-1.0-py3-none-any.whl`,
                hashes: { sha256: 'a'.repeat(64) },
                'core-metadata': true,
              },
              {
                filename: 'pkg-1.0.tar.gz',
                url: '../../../other-repo/pkg-1.0.tar.gz',
                hashes: { sha256: 'b'.repeat(64) },
                'core-metadata': true,
              },
              {
                filename: 'pkg-1.1-py3-none-any.whl',
                url: '../../files/pkg-1.1-py3-none-any.whl',
                hashes: { sha256: 'c'.repeat(64) },
                'core-metadata': true,
              },
            ],
          }),
          { 'content-type': 'application/vnd.pypi.simple.v1+json' },
        )
        .serve(
          '/repo/files/pkg-1.1-py3-none-any.whl.metadata',
          'Metadata-Version: 2.1\nName: pkg\nVersion: 1.1\nRequires-Dist: dep\n\n',
        );
      const pypi = createPypiProcessor({
        config: new ConfigReader({ index, api: 'simple' }),
        upstream: client(),
      });
      const versions = versionsOf(await pypi.discover({ id: 'pkg', config: {} }, { logger }));

      expect(internal.requests).toEqual([]);
      expect(upstream.requests.every(path => path.startsWith('/repo/'))).toBe(true);
      const byVersion = Object.fromEntries(versions.map(v => [v.version, v]));
      // The file elsewhere stays listed; collecting it is refused by the same policy.
      expect(byVersion['1.0'].files.map(f => f.uri)).toEqual([
        `${internal.url}/admin/pkg-1.0-py3-none-any.whl`,
      ]);
      expect(byVersion['1.0'].dependencies).toEqual([]);
      expect(byVersion['1.1'].files.map(f => f.uri)).toEqual([
        `${index}/files/pkg-1.1-py3-none-any.whl`,
      ]);
      expect(byVersion['1.1'].dependencies.map(d => d.id)).toEqual(['dep']);
      const warnings = logger.warn.mock.calls.map(([message]) => String(message));
      expect(warnings).toContainEqual(expect.stringContaining('outside the index'));
      expect(warnings).toContainEqual(expect.stringContaining('not in the allowed hosts'));
    });

    it('keeps release versions out of metadata URLs when they are not path segments', async () => {
      const index = `${upstream.url}/json-repo`;
      upstream.serve(
        '/json-repo/pypi/pkg/json',
        JSON.stringify({
          info: { version: '2.0', requires_dist: [] },
          releases: {
            '1.0/../../../../admin': [
              { filename: 'pkg-1.0.tar.gz', url: `${index}/f/pkg-1.0.tar.gz`, packagetype: 'sdist' },
            ],
            '..': [{ filename: 'pkg-0.tar.gz', url: `${index}/f/pkg-0.tar.gz`, packagetype: 'sdist' }],
            '2.0': [{ filename: 'pkg-2.0.tar.gz', url: `${index}/f/pkg-2.0.tar.gz`, packagetype: 'sdist' }],
          },
        }),
      );
      const pypi = createPypiProcessor({ config: new ConfigReader({ index }), upstream: client() });
      const versions = versionsOf(await pypi.discover({ id: 'pkg', config: {} }, { logger }));
      expect(versions.map(v => v.version)).toEqual(['2.0']);
      expect(upstream.requests.every(path => path.startsWith('/json-repo/'))).toBe(true);
    });
  });

  describe('Maven', () => {
    const repository = () => `${upstream.url}/m2`;
    const maven = () =>
      createMavenProcessor({
        config: new ConfigReader({ repository: repository() }),
        upstream: client(),
      });

    it('never fetches outside the repository for versions or coordinates from upstream', async () => {
      upstream
        .serve(
          '/m2/org/evil/x/maven-metadata.xml',
          `<metadata><groupId>org.evil</groupId><artifactId>x</artifactId><versioning><versions>
            <version>1.0</version>
            <version>../../../..</version>
            <version>1.0/../../../../admin</version>
            <version>..</version>
            <version>%2e%2e</version>
          </versions></versioning></metadata>`,
        )
        .serve(
          '/m2/org/evil/x/1.0/x-1.0.pom',
          pom(`<parent><groupId>org.evil</groupId><artifactId>p</artifactId><version>../../../../../admin</version></parent>
            <artifactId>x</artifactId><version>1.0</version><packaging>../../../admin</packaging>`),
        );
      const versions = versionsOf(await maven().discover({ id: 'org.evil:x', config: {} }, { logger }));

      expect(versions.map(v => v.version)).toEqual(['1.0']);
      expect(upstream.requests.length).toBeGreaterThan(0);
      expect(upstream.requests.every(path => path.startsWith('/m2/org/evil/'))).toBe(true);
      const warnings = logger.warn.mock.calls.map(([message]) => String(message));
      expect(warnings.filter(w => w.includes('not a plain path segment'))).toHaveLength(4);
    });

    it('stops property interpolation that grows without bound, quickly and with a clear error', async () => {
      const self = pom(`<groupId>org.evil</groupId><artifactId>props1</artifactId><version>1.0</version>
        <properties><p0>\${p0}\${p0}\${p0}</p0></properties>
        <dependencies><dependency><groupId>a</groupId><artifactId>b</artifactId><version>\${p0}</version></dependency></dependencies>`);
      const chain = Array.from({ length: 61 }, (_, i) =>
        i === 0 ? '<p0>x</p0>' : `<p${i}>\${p${i - 1}}\${p${i - 1}}</p${i}>`,
      ).join('');
      const doubling = pom(`<groupId>org.evil</groupId><artifactId>props2</artifactId><version>1.0</version>
        <properties>${chain}</properties>`);
      const wide = pom(`<groupId>org.evil</groupId><artifactId>props3</artifactId><version>1.0</version>
        <properties><big>${'y'.repeat(60_000)}</big>${Array.from(
          { length: 400 },
          (_, i) => `<w${i}>\${big}</w${i}>`,
        ).join('')}</properties>`);
      for (const [artifactId, body] of [
        ['props1', self],
        ['props2', doubling],
        ['props3', wide],
      ]) {
        upstream
          .serve(
            `/m2/org/evil/${artifactId}/maven-metadata.xml`,
            `<metadata><versioning><versions><version>1.0</version></versions></versioning></metadata>`,
          )
          .serve(`/m2/org/evil/${artifactId}/1.0/${artifactId}-1.0.pom`, body);
        const error = await maven()
          .discover({ id: `org.evil:${artifactId}`, config: {} }, { logger })
          .catch(e => e);
        expect(error).toBeInstanceOf(InterpolationLimitError);
        expect(error.message).toMatch(
          new RegExp(
            `^POM of org\\.evil:${artifactId}:1\\.0: property interpolation exceeds backpack\\.limits\\.maven\\.(maxInterpolatedLength|maxInterpolationWork)`,
          ),
        );
      }
    });

    it('skips a POM nested deeper than the XML limit', async () => {
      upstream
        .serve(
          '/m2/org/evil/deep/maven-metadata.xml',
          `<metadata><versioning><versions><version>1.0</version></versions></versioning></metadata>`,
        )
        .serve(
          '/m2/org/evil/deep/1.0/deep-1.0.pom',
          pom(`<artifactId>deep</artifactId>${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}`),
        );
      const error = await maven()
        .discover({ id: 'org.evil:deep', config: {} }, { logger })
        .then(result => versionsOf(result));
      expect(error).toEqual([]);
      const warnings = logger.warn.mock.calls.map(([message]) => String(message));
      expect(warnings).toContainEqual(
        expect.stringContaining('XML nested deeper than backpack.limits.xml.maxDepth (64)'),
      );
    });
  });
});
