import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { StaticRegistryServer } from '../../__testUtils__/staticRegistryServer';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { BackpackProcessor, DiscoveryResult, ProcessorVersion } from '../types';
import { PROJECTS, publishProject, sha256Of, startPypiIndex } from '../../__testUtils__/pypiIndex';
import { createPypiProcessor } from './PypiProcessor';

const logger = mockServices.logger.mock();

function versionsOf(result: DiscoveryResult): ProcessorVersion[] {
  if (result.notModified) throw new Error('expected a full discovery result');
  return result.versions;
}

/** version → file names, for compact assertions. */
function fileNames(result: DiscoveryResult): Record<string, string[]> {
  return Object.fromEntries(
    versionsOf(result).map(v => [v.version, v.files.map(f => f.name).sort()]),
  );
}

/** version → "id range [extras]" lines. */
function dependencyLines(result: DiscoveryResult): Record<string, string[]> {
  return Object.fromEntries(
    versionsOf(result).map(v => [
      v.version,
      v.dependencies
        .map(d => {
          const extras = (d.config?.extras as string[] | undefined)?.join(',');
          return `${d.id} ${d.range}${extras ? ` [${extras}]` : ''}`.trim();
        })
        .sort(),
    ]),
  );
}

describe.each([
  // PyPI's JSON API, and the simple API's JSON form (PEP 691) with PEP 658 metadata
  { api: 'json', listing: (name: string) => `/pypi/${name}/json` },
  { api: 'simple', listing: (name: string) => `/simple/${name}/` },
])('createPypiProcessor ($api API)', ({ api, listing }) => {
  let server: StaticRegistryServer;
  let pypi: BackpackProcessor;

  beforeAll(async () => {
    server = await startPypiIndex();
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => {
    server.requests.length = 0;
    pypi = createPypiProcessor({
      config: new ConfigReader({ index: server.url, api }),
      upstream: new UpstreamClient({ retries: 0 }),
    });
  });

  const discover = (id: string, config: JsonObject = {}, validators?: { etag?: string }) =>
    pypi.discover({ id, config }, { logger, validators });

  it('normalises ids the PEP 503 way and fetches the normalised project', async () => {
    expect(pypi.normalizeId!('Foo_Bar')).toBe('foo-bar');
    expect(pypi.normalizeId!('foo..BAR--baz')).toBe('foo-bar-baz');
    const result = await discover('Foo_Bar');
    expect(versionsOf(result).map(v => v.version)).toEqual(['1.0', '2.0', '3.0b1']);
    expect(server.requestsTo(listing('foo-bar'))).toHaveLength(1);
    expect(server.requests.filter(r => r.path.includes('Foo_Bar'))).toHaveLength(0);
  });

  it('selects the wheels of the configured targets, the sdists, and drops yanked files', async () => {
    const config = { pythonVersions: ['3.11'], platforms: ['manylinux_2_17_x86_64'] };
    const result = await discover('foo-bar', config);

    // 0.9 has only a yanked file, so it is not offered at all.
    expect(fileNames(result)).toEqual({
      '1.0': ['foo_bar-1.0-py3-none-any.whl', 'foo_bar-1.0.tar.gz'],
      '2.0': [
        'foo_bar-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
        'foo_bar-2.0.tar.gz',
      ],
      '3.0b1': ['foo_bar-3.0b1-py3-none-any.whl'],
    });

    const wheel = versionsOf(result)[1].files.find(f => f.name.endsWith('.whl'))!;
    expect(wheel).toEqual({
      name: 'foo_bar-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
      uri: `${server.url}/packages/foo_bar-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`,
      path: 'packages/foo_bar-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
      integrity: { algorithm: 'sha256', digest: sha256Of(wheel.name) },
      size: Buffer.byteLength(`contents of ${wheel.name}\n`),
    });
    expect(versionsOf(result)[0].publishedAt).toBe('2023-06-01T00:00:00.000000Z');
  });

  it('evaluates markers against the configured targets and passes extras and targets on', async () => {
    const config = { pythonVersions: ['3.11'], platforms: ['manylinux_2_17_x86_64'] };
    const result = await discover('foo-bar', config);

    expect(dependencyLines(result)).toEqual({
      // importlib-metadata only below Python 3.8
      '1.0': ['requests >=2.0'],
      // no win32-only, no <3.11, no <3.10.2 dependencies; no extras requested
      '2.0': ['requests >=2.28,<3 [socks]'],
      '3.0b1': ['requests >=2.31'],
    });
    expect(versionsOf(result)[1].dependencies[0]).toEqual({
      processor: 'pypi',
      id: 'requests',
      range: '>=2.28,<3',
      kind: 'runtime',
      config: { extras: ['socks'], ...config },
    });
  });

  it('evaluates markers for the documented default targets when none are configured', async () => {
    const result = await discover('foo-bar');

    expect(fileNames(result)['2.0']).toEqual([
      'foo_bar-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
      'foo_bar-2.0-cp311-cp311-musllinux_1_1_x86_64.whl',
      'foo_bar-2.0-cp311-cp311-win_amd64.whl',
      'foo_bar-2.0-cp312-cp312-manylinux_2_28_x86_64.whl',
      'foo_bar-2.0-cp38-abi3-macosx_11_0_arm64.whl',
      'foo_bar-2.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl',
      'foo_bar-2.0.tar.gz',
    ]);
    expect(dependencyLines(result)).toEqual({
      '1.0': ['requests >=2.0'],
      '2.0': [
        'colorama',
        'importlib-metadata >=4',
        'pywin32 >=300',
        'requests >=2.28,<3 [socks]',
        'tomli >=1.1',
      ],
      '3.0b1': ['requests >=2.31'],
    });
    // Nothing configured on the artifact, so nothing is passed on.
    expect(versionsOf(result)[0].dependencies[0].config).toEqual({});
  });

  it('includes the dependencies of requested extras, also through self-references', async () => {
    const socks = await discover('foo-bar', {
      extras: ['fast', 'socks'],
      pythonVersions: ['3.12'],
      platforms: ['win_amd64'],
    });
    expect(fileNames(socks)['2.0']).toEqual(['foo_bar-2.0.tar.gz']);
    expect(dependencyLines(socks)['2.0']).toEqual([
      'colorama',
      'pysocks !=1.5.7,>=1.5.6',
      'pywin32 >=300',
      'requests >=2.28,<3 [socks]',
      // uvloop's marker excludes Windows
    ]);

    const all = await discover('foo-bar', {
      extras: ['all'],
      pythonVersions: ['3.12'],
      platforms: ['linux_x86_64'],
    });
    expect(fileNames(all)['2.0']).toEqual([
      'foo_bar-2.0-cp312-cp312-manylinux_2_28_x86_64.whl',
      'foo_bar-2.0.tar.gz',
    ]);
    expect(dependencyLines(all)['2.0']).toEqual([
      'pysocks !=1.5.7,>=1.5.6',
      'requests >=2.28,<3 [socks]',
    ]);
  });

  it('offers yanked files when asked, and leaves out sdists when asked', async () => {
    const result = await discover('foo-bar', {
      includeYanked: true,
      includeSdist: false,
      pythonVersions: ['3.10'],
      platforms: ['manylinux_2_17_x86_64'],
    });
    expect(fileNames(result)).toEqual({
      '0.9': ['foo_bar-0.9-py3-none-any.whl'],
      '1.0': ['foo_bar-1.0-py3-none-any.whl'],
      '2.0': ['foo_bar-2.0-cp310-cp310-manylinux_2_17_x86_64.whl'],
      '3.0b1': ['foo_bar-3.0b1-py3-none-any.whl'],
    });
    // Python 3.10 may be 3.10.0 or 3.10.1, below 3.10.2.
    expect(dependencyLines(result)['2.0']).toEqual([
      'importlib-metadata >=4',
      'requests >=2.28,<3 [socks]',
      'tomli >=1.1',
    ]);

    const patch = await discover('foo-bar', { pythonVersions: ['3.10.5'] });
    expect(dependencyLines(patch)['2.0']).not.toContain('importlib-metadata >=4');
  });

  it('reads the metadata of each kept release once', async () => {
    await discover('foo-bar');
    const metadataRequests = () =>
      server.requests
        .filter(r => /^\/pypi\/foo-bar\/[^/]+\/json$/.test(r.path) || r.path.endsWith('.metadata'))
        .map(r => r.path)
        .sort();
    // The JSON API's project document carries the latest release's metadata;
    // the simple API has a metadata file per distribution, wheels preferred.
    // 0.9 is left out (only yanked files), so its metadata is not needed.
    expect(metadataRequests()).toEqual(
      api === 'json'
        ? ['/pypi/foo-bar/1.0/json', '/pypi/foo-bar/3.0b1/json']
        : [
            '/packages/foo_bar-1.0-py3-none-any.whl.metadata',
            '/packages/foo_bar-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl.metadata',
            '/packages/foo_bar-3.0b1-py3-none-any.whl.metadata',
          ],
    );

    // Released metadata does not change, so another discovery reuses it.
    const count = metadataRequests().length;
    await discover('foo-bar', { platforms: ['win_amd64'] });
    expect(metadataRequests()).toHaveLength(count);
  });

  it('answers notModified to a conditional request the index answers with 304', async () => {
    const first = await discover('requests');
    if (first.notModified) throw new Error('unexpected');
    expect(first.validators?.etag).toMatch(/^".+"$/);
    expect(first.tags).toEqual({ latest: '2.31.0' });

    const second = await discover('requests', {}, first.validators);
    expect(second).toEqual({ notModified: true });
    const conditional = server.requestsTo(listing('requests')).at(-1)!;
    expect(conditional.headers['if-none-match']).toBe(first.validators?.etag);
    expect(conditional.status).toBe(304);

    // A new release changes the document, and the old validators no longer match.
    const requests = PROJECTS.find(p => p.name === 'requests')!;
    const updated = {
      ...requests,
      latest: '2.32.0',
      releases: {
        ...requests.releases,
        '2.32.0': {
          uploaded: '2024-05-20T00:00:00.000000Z',
          files: [{ filename: 'requests-2.32.0-py3-none-any.whl' }],
          requiresDist: ['idna<4,>=2.5'],
        },
      },
    };
    publishProject(server, updated);
    try {
      const third = await discover('requests', {}, first.validators);
      expect(versionsOf(third).map(v => v.version)).toEqual(['2.27.0', '2.31.0', '2.32.0']);
    } finally {
      publishProject(server, requests);
    }
  });

  it('throws NotFoundError for an unknown project and InputError for bad ids and config', async () => {
    await expect(discover('no-such-project')).rejects.toBeInstanceOf(NotFoundError);
    await expect(discover('not a name!')).rejects.toThrow(InputError);
    await expect(discover('requests', { pythonVersion: ['3.11'] })).rejects.toThrow(
      /^config\.pythonVersion: Unknown key$/,
    );
    await expect(discover('requests', { platforms: ['win amd64'] })).rejects.toThrow(
      /config\.platforms\[0\]: must be a wheel platform tag/,
    );
    await expect(discover('requests', { index: 'https://evil.example' })).rejects.toThrow(
      /config\.index: 'https:\/\/evil\.example' is not an allowed index/,
    );
    expect(pypi.configSchema.safeParse({ extras: ['socks'], includeSdist: false }).success).toBe(
      true,
    );
    expect(pypi.configSchema.safeParse({ unknown: 1 }).success).toBe(false);
  });

  it('lets artifacts use an allowed second index and passes it on to dependencies', async () => {
    const other = await startPypiIndex();
    try {
      const processor = createPypiProcessor({
        config: new ConfigReader({ index: server.url, allowedIndexes: [`${other.url}/`], api }),
        upstream: new UpstreamClient({ retries: 0 }),
      });
      const result = await processor.discover(
        { id: 'requests', config: { index: other.url } },
        { logger },
      );
      expect(other.requestsTo(listing('requests'))).toHaveLength(1);
      expect(server.requestsTo(listing('requests'))).toHaveLength(0);
      expect(versionsOf(result)[1].dependencies[0].config).toEqual({ index: other.url });
      expect(processor.allowedHosts!()).toEqual([
        new URL(server.url).host,
        new URL(other.url).host,
      ]);
    } finally {
      await other.close();
    }
  });

  it('allows pypi.org and its file host by default', () => {
    const processor = createPypiProcessor({ upstream: new UpstreamClient() });
    expect(processor.allowedHosts!()).toEqual(['pypi.org', 'files.pythonhosted.org']);
    expect(processor.name).toBe('pypi');
    expect(processor.versions.name).toBe('pep440');
  });
});

describe('createPypiProcessor with an index without PEP 691 JSON', () => {
  it('says so instead of misreading the HTML page', async () => {
    const server = await StaticRegistryServer.start();
    try {
      server.set('/simple/html-only/', {
        contentType: 'text/html',
        body: '<html><body><a href="../../packages/html_only-1.0.tar.gz">html_only-1.0.tar.gz</a></body></html>',
      });
      const pypi = createPypiProcessor({
        config: new ConfigReader({ index: server.url, api: 'simple' }),
        upstream: new UpstreamClient({ retries: 0 }),
      });
      await expect(pypi.discover({ id: 'html-only', config: {} }, { logger })).rejects.toThrow(
        /answered 'text\/html', not PEP 691 JSON/,
      );
      expect(() =>
        createPypiProcessor({
          config: new ConfigReader({ api: 'xmlrpc' }),
          upstream: new UpstreamClient(),
        }),
      ).toThrow(/backpack\.processors\.pypi\.api: must be 'json' or 'simple'/);
    } finally {
      await server.close();
    }
  });
});
