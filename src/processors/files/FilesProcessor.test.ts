import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { createHash } from 'node:crypto';
import { StaticRegistryServer } from '../../__testUtils__/staticRegistryServer';
import { parseInput } from '../../lib/validation';
import { HostPolicy } from '../../upstream/HostPolicy';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { UpstreamTransport } from '../../upstream/UpstreamTransport';
import { fresh, version } from '../__testUtils__/discoveryResults';
import { BackpackProcessor } from '../types';
import { createFilesProcessor } from './FilesProcessor';

const logger = mockServices.logger.mock();
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('createFilesProcessor', () => {
  let server: StaticRegistryServer;
  let files: BackpackProcessor;
  const discover = (config: object) => files.discover({ id: 'tool', config: config as any }, { logger });
  const check = (config: object) =>
    parseInput(files.configSchema, config, { path: ['config'], label: 'config' });

  beforeAll(async () => {
    server = await StaticRegistryServer.start();
    server.set('/1.0/tool.tar', 'tool 1.0');
    server.set('/2.0/tool.tar', 'tool 2.0');
    server.set('/1.0/SHA256SUMS', `${sha256('tool 1.0')}  tool.tar\n${sha256('other')}  other.tar\n`);
    server.set('/2.0/tool.tar.sha256', `${sha256('something else')}\n`);
    const host = new URL(server.url).host;
    const rootConfig = new ConfigReader({ backpack: { allowedHosts: [host] } });
    const policy = new HostPolicy().allow([host], 'operator');
    files = createFilesProcessor({
      rootConfig,
      upstream: new UpstreamClient({ retries: 0 }, new UpstreamTransport({ policy })),
    });
  });
  afterAll(() => server.close());

  it('names artifacts with one lower-case segment', () => {
    expect(files.normalizeId?.('My-Tool')).toBe('my-tool');
    const normalize = files.normalizeId!;
    expect(() => normalize('a/b')).toThrow(/id: 'a\/b' is not a name/);
  });

  it('refuses hosts outside backpack.allowedHosts and inconsistent configs, naming the field', () => {
    expect(() => check({ files: [{ url: 'https://example.org/x.tar' }] })).toThrow(
      /config\.files\[0\]\.url: Host example\.org is not in the allowed hosts/,
    );
    expect(() => check({ urlTemplate: `${server.url}/{version}/x`, checksumUrl: 'http://evil.example/{version}', versions: ['1'] })).toThrow(
      /config\.checksumUrl: Host evil\.example is not in the allowed hosts/,
    );
    expect(() => check({ files: [{ url: `${server.url}/dir/` }] })).toThrow(
      /config\.files\[0\]\.name: required: the URL has no file name/,
    );
    expect(() => check({ versions: ['1.0'] })).toThrow(/config\.files: give either files or urlTemplate/);
    expect(() => check({ files: [{ url: `${server.url}/x`, sha256: 'abc' }] })).toThrow(/config\.files\[0\]\.sha256/);
    expect(() => check({ urlTemplate: `${server.url}/{version}/x`, versions: ['1', '1'] })).toThrow(/config\.versions: lists a version twice/);
    expect(() => check({ urlTemplate: `${server.url}/{version}/x`, versions: ['../1'] })).toThrow(/config\.versions\[0\]: must be a version/);
    expect(() =>
      check({ urlTemplate: `${server.url}/{version}/x`, versions: ['1'], sha256: { 2: sha256('x') } }),
    ).toThrow(/config\.sha256: names versions not in versions: 2/);
  });

  it('lists one version with inline digests by default', async () => {
    const result = fresh(await discover({ files: [{ url: `${server.url}/1.0/tool.tar`, sha256: sha256('tool 1.0').toUpperCase() }] }));
    expect(result.versions.map(v => v.version)).toEqual(['current']);
    expect(version(result, 'current').files).toEqual([
      { name: 'tool.tar', uri: `${server.url}/1.0/tool.tar`, path: 'tool.tar', integrity: { algorithm: 'sha256', digest: sha256('tool 1.0') } },
    ]);
  });

  it('takes digests from checksum files per version, collects them, and parks what they cannot vouch for', async () => {
    const result = fresh(
      await discover({
        versions: ['1.0', '2.0', '3.0'],
        urlTemplate: `${server.url}/{version}/tool.tar`,
        checksumUrl: `${server.url}/{version}/SHA256SUMS`,
      }),
    );
    const v1 = version(result, '1.0').files;
    expect(v1.map(f => [f.name, f.integrity?.digest, f.skipped])).toEqual([
      ['tool.tar', sha256('tool 1.0'), undefined],
      ['SHA256SUMS', sha256(`${sha256('tool 1.0')}  tool.tar\n${sha256('other')}  other.tar\n`), undefined],
    ]);
    const v3 = version(result, '3.0').files;
    expect(v3).toHaveLength(1);
    expect(v3[0].skipped).toMatch(/checksum file .*\/3\.0\/SHA256SUMS answered 404/);

    const sidecar = fresh(
      await discover({
        versions: ['2.0'],
        urlTemplate: `${server.url}/{version}/tool.tar`,
        checksumUrl: `${server.url}/{version}/tool.tar.sha256`,
        sha256: { '2.0': sha256('tool 2.0') },
      }),
    );
    // A bare digest names the file; here it disagrees with the inline one.
    expect(version(sidecar, '2.0').files[0].skipped).toMatch(/inline sha256 and checksum file .* disagree/);
  });
});
