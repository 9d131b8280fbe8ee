import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { createHash } from 'node:crypto';
import { NugetFeed } from '../../__testUtils__/nugetFeed';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { fresh } from '../__testUtils__/discoveryResults';
import { BackpackProcessor } from '../types';
import { createNugetProcessor } from './NugetProcessor';

const logger = mockServices.logger.mock();

describe('createNugetProcessor', () => {
  let feed: NugetFeed;
  let nuget: BackpackProcessor;

  beforeAll(async () => {
    feed = await NugetFeed.start([
      {
        id: 'Contoso.Core',
        version: '1.0.0',
        groups: {
          '.NETFramework4.6.1': [{ id: 'Legacy.Shim', range: '[1.0,2.0)' }],
          '.NETStandard2.0': [{ id: 'Contoso.Util', range: '2.1.0' }],
          'net6.0': [{ id: 'Contoso.Util', range: '[2.0,3.0)' }, { id: 'Modern.Only', range: '1.0' }],
        },
      },
      { id: 'Contoso.Core', version: '1.1.0-beta.1' },
      { id: 'Contoso.Core', version: '0.9.0', listed: false },
      { id: 'Contoso.Util', version: '2.1.0' },
    ]);
  });

  afterAll(async () => {
    await feed.stop();
  });

  beforeEach(() => {
    nuget = createNugetProcessor({
      config: new ConfigReader({ serviceIndex: feed.serviceIndexUrl, frameworks: ['net8.0', 'net48'] }),
      upstream: new UpstreamClient({ retries: 0 }),
    });
  });

  it('lists the listed versions, normalised, from the registration pages', async () => {
    const result = fresh(await nuget.discover({ id: 'contoso.core', config: {} }, { logger }));
    expect(result.versions.map(v => v.version).sort()).toEqual(['1.0.0', '1.1.0-beta.1']);
    expect(result.versions.every(v => v.files.length === 0)).toBe(true);
  });

  it('describes a version: the nupkg with the catalog SHA-512 and the nearest groups of each framework', async () => {
    await nuget.discover({ id: 'contoso.core', config: {} }, { logger });
    const described = await nuget.describeVersion!({ id: 'contoso.core', config: {}, version: '1.0.0' }, { logger });
    const published = feed.published.find(p => p.id === 'Contoso.Core' && p.version === '1.0.0')!;
    expect(described.files).toEqual([
      {
        name: 'contoso.core.1.0.0.nupkg',
        uri: `${feed.server.url}/v3/flat/contoso.core/1.0.0/contoso.core.1.0.0.nupkg`,
        path: 'contoso.core/1.0.0/contoso.core.1.0.0.nupkg',
        integrity: { algorithm: 'sha512', digest: createHash('sha512').update(published.nupkg).digest('hex') },
        size: published.nupkg.length,
      },
    ]);
    // net8.0 takes the net6.0 group, net48 the .NET Framework one; the .NET Standard group applies to neither.
    expect(described.dependencies.map(d => `${d.id} ${d.range}`).sort()).toEqual([
      'contoso.util [2.0,3.0)',
      'legacy.shim [1.0,2.0)',
      'modern.only 1.0',
    ]);
  });

  it('follows the frameworks an artifact asks for', async () => {
    const described = await nuget.describeVersion!(
      { id: 'contoso.core', config: { frameworks: ['netstandard2.0'] }, version: '1.0.0' },
      { logger },
    );
    expect(described.dependencies).toEqual([
      { processor: 'nuget', id: 'contoso.util', range: '2.1.0', kind: 'runtime', config: { frameworks: ['netstandard2.0'] } },
    ]);
  });

  it('refuses what is no NuGet id, version or framework, naming the field', async () => {
    expect(() => nuget.normalizeId!('../etc')).toThrow(InputError);
    expect(() => nuget.normalizeId!('a b')).toThrow(/id: 'a b' is not a valid NuGet package id/);
    expect(nuget.normalizeId!('Contoso.Core')).toBe('contoso.core');
    expect(nuget.configSchema.safeParse({ frameworks: ['uap10.0'] }).success).toBe(false);
    expect(nuget.configSchema.safeParse({ other: 1 }).success).toBe(false);
    await expect(
      nuget.describeVersion!({ id: 'contoso.core', config: {}, version: 'x' }, { logger }),
    ).rejects.toThrow(InputError);
  });

  it('answers NotFoundError for unknown packages and versions', async () => {
    await expect(nuget.discover({ id: 'missing.package', config: {} }, { logger })).rejects.toThrow(NotFoundError);
    await expect(
      nuget.describeVersion!({ id: 'contoso.core', config: {}, version: '9.9.9' }, { logger }),
    ).rejects.toThrow(NotFoundError);
  });

  it('answers 304 discoveries as not modified', async () => {
    const first = fresh(await nuget.discover({ id: 'contoso.util', config: {} }, { logger }));
    const again = await nuget.discover({ id: 'contoso.util', config: {} }, { logger, validators: first.validators });
    expect(again).toEqual({ notModified: true });
  });
});
