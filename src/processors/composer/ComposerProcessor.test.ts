import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { ComposerRepository } from '../../__testUtils__/composerRepository';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { fresh, version } from '../__testUtils__/discoveryResults';
import { BackpackProcessor } from '../types';
import { createComposerProcessor, mergeComposerConfig } from './ComposerProcessor';

const logger = mockServices.logger.mock();

describe('createComposerProcessor', () => {
  let repository: ComposerRepository;
  let composer: BackpackProcessor;

  beforeAll(async () => {
    repository = await ComposerRepository.start([
      {
        name: 'acme/app',
        version: 'v1.0.0',
        require: { php: '>=8.1', 'ext-json': '*', 'acme/util': '^1.2', 'acme/split': 'self.version', 'Bad Name': '1' },
        requireDev: { 'acme/testing': '^2.0' },
      },
      { name: 'acme/app', version: '1.1.0-beta1', shasum: 'empty' },
      { name: 'acme/app', version: 'dev-main', require: { 'acme/util': 'dev-main' } },
      { name: 'acme/util', version: '1.2.0' },
    ]);
  });

  afterAll(async () => {
    await repository.stop();
  });

  beforeEach(() => {
    composer = createComposerProcessor({
      config: new ConfigReader({ repository: repository.url }),
      upstream: new UpstreamClient({ retries: 0 }),
    });
  });

  it('lists the tagged versions of the minified p2 document, each with its zip dist and sha1', async () => {
    const result = fresh(await composer.discover({ id: 'Acme/App', config: {} }, { logger }));
    expect(result.versions.map(v => v.version).sort()).toEqual(['1.1.0-beta1', 'v1.0.0']);
    const published = repository.find('acme/app', 'v1.0.0');
    expect(version(result, 'v1.0.0').files).toEqual([
      {
        name: 'acme-app-v1.0.0.zip',
        uri: `${repository.url}/dists/acme/app/v1.0.0.zip`,
        path: 'acme/app/acme-app-v1.0.0.zip',
        integrity: { algorithm: 'sha1', digest: published.sha1 },
      },
    ]);
    // Packagist's GitHub dists have an empty shasum: no digest, left to the unverified-file policy.
    expect(version(result, '1.1.0-beta1').files[0].integrity).toBeUndefined();
    expect(version(result, 'v1.0.0').publishedAt).toBe('2024-01-01T00:00:00.000Z');
    expect(repository.server.requestsTo('/p2/acme/app~dev.json')).toHaveLength(0);
  });

  it('records platform requirements and bad names as unresolvable, resolves self.version', async () => {
    const result = fresh(await composer.discover({ id: 'acme/app', config: {} }, { logger }));
    const deps = version(result, 'v1.0.0').dependencies;
    expect(deps.filter(d => !d.unresolvable)).toEqual([
      { processor: 'composer', id: 'acme/util', range: '^1.2', kind: 'runtime', config: {} },
      { processor: 'composer', id: 'acme/split', range: 'v1.0.0', kind: 'runtime', config: {} },
    ]);
    expect(deps.filter(d => d.unresolvable).map(d => [d.id, d.unresolvable])).toEqual([
      ['php', "platform requirement: 'php' is provided by the PHP installation, not mirrored"],
      ['ext-json', "platform requirement: 'ext-json' is provided by the PHP installation, not mirrored"],
      ['Bad Name', "'Bad Name' is not a valid Composer package name"],
    ]);
  });

  it('follows require-dev only for artifacts that ask, and lists dev versions only when asked', async () => {
    const result = fresh(
      await composer.discover({ id: 'acme/app', config: { requireDev: true, devVersions: true } }, { logger }),
    );
    expect(result.versions.map(v => v.version).sort()).toEqual(['1.1.0-beta1', 'dev-main', 'v1.0.0']);
    expect(version(result, 'v1.0.0').dependencies.map(d => d.id)).toContain('acme/testing');
    // A requirement on a branch asks for the dependency's dev versions.
    expect(version(result, 'dev-main').dependencies).toEqual([
      { processor: 'composer', id: 'acme/util', range: 'dev-main', kind: 'runtime', config: { devVersions: true } },
    ]);
  });

  it('refuses ids, configs and repositories that do not fit, naming the field', () => {
    expect(() => composer.normalizeId!('php')).toThrow(/id: 'php' is a platform package/);
    expect(() => composer.normalizeId!('ext-intl')).toThrow(InputError);
    expect(() => composer.normalizeId!('nope')).toThrow(/id: 'nope' is not a valid Composer package name/);
    expect(composer.configSchema.safeParse({ other: 1 }).success).toBe(false);
    expect(composer.configSchema.safeParse({ devVersions: 'yes' }).success).toBe(false);
    expect(composer.configSchema.safeParse({ repository: 'https://elsewhere.example' }).success).toBe(false);
    expect(composer.configSchema.safeParse({ repository: repository.url, requireDev: true }).success).toBe(true);
  });

  it('answers NotFoundError for unknown packages and 304s as not modified', async () => {
    await expect(composer.discover({ id: 'acme/missing', config: {} }, { logger })).rejects.toThrow(NotFoundError);
    await expect(
      composer.discover({ id: 'acme/missing', config: { devVersions: true } }, { logger }),
    ).rejects.toThrow(NotFoundError);
    const first = fresh(await composer.discover({ id: 'acme/util', config: {} }, { logger }));
    const again = await composer.discover({ id: 'acme/util', config: {} }, { logger, validators: first.validators });
    expect(again).toEqual({ notModified: true });
  });

  it('keeps hostile entries out: no version, no http(s) dist, other dist types parked with the reason', async () => {
    const dist = (url: string, type = 'zip') => ({ type, url, shasum: '' });
    repository.server.set(
      '/p2/evil/pkg.json',
      JSON.stringify({
        packages: {
          'evil/pkg': [
            { version: '../../etc', dist: dist(`${repository.url}/x.zip`) },
            { version: '1.0.0', dist: dist('file:///etc/passwd') },
            { version: '1.1.0', dist: dist('relative/a.tar', 'tar') },
            { version: '1.2.0', dist: 'nonsense', require: ['not', 'a', 'map'] },
          ],
        },
      }),
    );
    const result = fresh(await composer.discover({ id: 'evil/pkg', config: {} }, { logger }));
    expect(result.versions.map(v => [v.version, v.files, v.dependencies])).toEqual([
      ['1.0.0', [], []],
      [
        '1.1.0',
        [
          {
            name: 'evil-pkg-1.1.0.zip',
            uri: `${repository.url}/p2/evil/relative/a.tar`,
            path: 'evil/pkg/evil-pkg-1.1.0.zip',
            skipped: "dist type 'tar' is not mirrored (only zip dists are)",
          },
        ],
        [],
      ],
      ['1.2.0', [], []],
    ]);
  });

  it('refuses a repository that is no Composer v2 repository', async () => {
    repository.server.set('/packages.json', JSON.stringify({ packages: {} }));
    try {
      await expect(composer.discover({ id: 'acme/util', config: {} }, { logger })).rejects.toThrow(/names no metadata-url/);
    } finally {
      repository.publish();
    }
  });

  it('lets Packagist and its GitHub dist hosts through by default, configured hosts otherwise', () => {
    const upstream = new UpstreamClient({ retries: 0 });
    expect(createComposerProcessor({ upstream }).allowedHosts!()).toEqual([
      'repo.packagist.org',
      'api.github.com',
      'codeload.github.com',
    ]);
    expect(composer.allowedHosts!()).toEqual([new URL(repository.url).host]);
    const configured = createComposerProcessor({
      config: new ConfigReader({ repository: 'https://php.internal', distHosts: ['git.internal:8443'] }),
      upstream,
    });
    expect(configured.allowedHosts!()).toEqual(['php.internal', 'git.internal:8443']);
    expect(() =>
      createComposerProcessor({ config: new ConfigReader({ distHosts: ['https://x/'] }), upstream }),
    ).toThrow(/backpack.processors.composer.distHosts: 'https:\/\/x\/' is not a host name/);
  });

  it('merges configs by widening', () => {
    expect(mergeComposerConfig({ devVersions: true }, {})).toEqual({ devVersions: true });
    expect(mergeComposerConfig({ requireDev: false }, { requireDev: true })).toEqual({ requireDev: true });
    expect(mergeComposerConfig({ devVersions: false }, {})).toEqual({});
  });
});
