import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import {
  artifactBody,
  POMS,
  publishAppMetadata,
  sha1,
  sha256,
  startMavenRepository,
} from '../../__testUtils__/mavenRepository';
import { StaticRegistryServer } from '../../__testUtils__/staticRegistryServer';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { BackpackProcessor, DiscoveryResult, ProcessorVersion } from '../types';
import { createMavenProcessor } from './MavenProcessor';

const logger = mockServices.logger.mock();

function versionsOf(result: DiscoveryResult): ProcessorVersion[] {
  if (result.notModified) throw new Error('expected a full discovery result');
  return result.versions;
}

const byVersion = (result: DiscoveryResult, version: string) =>
  versionsOf(result).find(v => v.version === version)!;

describe('createMavenProcessor', () => {
  let server: StaticRegistryServer;
  let maven: BackpackProcessor;

  beforeAll(async () => {
    server = await startMavenRepository();
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => {
    server.requests.length = 0;
    maven = createMavenProcessor({
      config: new ConfigReader({ repository: `${server.url}/` }),
      upstream: new UpstreamClient({ retries: 0 }),
    });
  });

  const discover = (id: string, config: JsonObject = {}, validators?: { etag?: string }) =>
    maven.discover({ id, config }, { logger, validators });

  it('lists released versions from maven-metadata.xml with the POM and main artifact of each', async () => {
    const result = await discover('com.example:app');
    if (result.notModified) throw new Error('unexpected');
    // 2.0-SNAPSHOT is in the metadata but snapshots are not mirrored.
    expect(result.versions.map(v => v.version)).toEqual(['1.0', '1.1']);
    expect(result.tags).toEqual({ latest: '2.0-SNAPSHOT', release: '1.1' });

    const pom10 = POMS['com/example/app/1.0/app-1.0.pom'];
    expect(byVersion(result, '1.0').files).toEqual([
      {
        name: 'app-1.0.pom',
        uri: `${server.url}/com/example/app/1.0/app-1.0.pom`,
        path: 'com/example/app/1.0/app-1.0.pom',
        integrity: { algorithm: 'sha1', digest: sha1(pom10) },
        size: Buffer.byteLength(pom10),
      },
      {
        name: 'app-1.0.jar',
        uri: `${server.url}/com/example/app/1.0/app-1.0.jar`,
        path: 'com/example/app/1.0/app-1.0.jar',
        integrity: { algorithm: 'sha1', digest: sha1(artifactBody('com/example/app/1.0/app-1.0.jar')) },
      },
    ]);

    // A `digest  filename` sidecar, and a war with only a .sha256 sidecar.
    const pom11 = POMS['com/example/app/1.1/app-1.1.pom'];
    expect(byVersion(result, '1.1').files.map(f => [f.path, f.integrity])).toEqual([
      ['com/example/app/1.1/app-1.1.pom', { algorithm: 'sha1', digest: sha1(pom11) }],
      [
        'com/example/app/1.1/app-1.1.war',
        {
          algorithm: 'sha256',
          digest: sha256(artifactBody('com/example/app/1.1/app-1.1.war')),
        },
      ],
    ]);
    expect(byVersion(result, '1.0').publishedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('resolves dependencies through parents, properties, dependency management and imported BOMs', async () => {
    const result = await discover('com.example:app');
    const dependencies = byVersion(result, '1.0').dependencies;
    expect(
      Object.fromEntries(dependencies.map(d => [d.id, d.unresolvable ? `! ${d.unresolvable}` : d.range])),
    ).toEqual({
      // the parent and the BOM it imports, exactly
      'com.example:parent': '[1.0]',
      'com.example:bom': '[4.1]',
      // managed in the parent, overriding the grandparent's property and the BOM
      'org.slf4j:slf4j-api': '2.0.9',
      // managed by the imported BOM only
      'com.fasterxml.jackson.core:jackson-databind': '2.15.3',
      // the parent manages it as ${project.version}, which is the child's version
      'com.example:sibling': '1.0',
      // a property of the grandparent
      'com.google.guava:guava': '32.1.3-jre',
      // a property defined through another property
      'org.apache.commons:commons-lang3': '3.12.0',
      'org.postgresql:postgresql': '[42.0,43.0)',
      'io.netty:netty-transport-native-epoll': '4.1.100.Final',
      'com.example:broken': "! unresolved property in version '${undefined.property}'",
      // not here: junit and mockito (test), servlet-api (provided through management), h2 (optional)
    });
    expect(dependencies.every(d => d.processor === 'maven' && d.kind === 'runtime')).toBe(true);
    expect(dependencies.find(d => d.id === 'io.netty:netty-transport-native-epoll')!.config).toEqual({
      classifiers: ['linux-aarch_64', 'linux-x86_64'],
    });
    expect(dependencies.find(d => d.id === 'org.slf4j:slf4j-api')!.config).toEqual({});

    expect(
      Object.fromEntries(byVersion(result, '1.1').dependencies.map(d => [d.id, d.range])),
    ).toEqual({
      'com.example:parent': '[1.0]',
      'com.example:bom': '[4.1]',
      'org.slf4j:slf4j-api': '[2.0,3.0)',
      'com.example:sibling': '1.1',
      'com.example:tools': '1.0',
    });
  });

  it('fetches each parent and BOM POM once per discovery', async () => {
    await discover('com.example:app');
    expect(server.requestsTo('/com/example/parent/1.0/parent-1.0.pom')).toHaveLength(1);
    expect(server.requestsTo('/com/example/grandparent/1/grandparent-1.pom')).toHaveLength(1);
    expect(server.requestsTo('/com/example/bom/4.1/bom-4.1.pom')).toHaveLength(1);
  });

  it('gives POM-only artifacts just their POM and follows relocations', async () => {
    const parent = await discover('com.example:parent');
    expect(byVersion(parent, '1.0').files.map(f => f.name)).toEqual(['parent-1.0.pom']);
    expect(byVersion(parent, '1.0').dependencies.map(d => `${d.id} ${d.range}`)).toEqual([
      'com.example:grandparent [1]',
      'com.example:bom [4.1]',
    ]);

    const bom = await discover('com.example:bom');
    expect(byVersion(bom, '4.1').dependencies).toEqual([]);

    const relocated = await discover('com.example:old-app');
    expect(byVersion(relocated, '1.0').dependencies.map(d => `${d.id} ${d.range}`)).toEqual([
      'com.example:app [1.0]',
    ]);
  });

  it('adds the configured classifiers where a version has them', async () => {
    const result = await discover('com.example:app', { classifiers: ['sources'] });
    expect(byVersion(result, '1.0').files.map(f => f.name)).toEqual([
      'app-1.0.pom',
      'app-1.0.jar',
      'app-1.0-sources.jar',
    ]);
    expect(byVersion(result, '1.1').files.map(f => f.name)).toEqual(['app-1.1.pom', 'app-1.1.war']);
  });

  it('answers notModified when the metadata has not changed, and sees new versions when it has', async () => {
    const first = await discover('com.example:app');
    if (first.notModified) throw new Error('unexpected');
    const second = await discover('com.example:app', {}, first.validators);
    expect(second).toEqual({ notModified: true });
    const conditional = server.requestsTo('/com/example/app/maven-metadata.xml').at(-1)!;
    expect(conditional.headers['if-none-match']).toBe(first.validators?.etag);
    expect(conditional.status).toBe(304);

    publishAppMetadata(server, ['1.0', '1.1', '1.2', '2.0-SNAPSHOT']);
    try {
      const pomRequests = server.requestsTo('/com/example/app/1.0/app-1.0.pom').length;
      const third = await discover('com.example:app', {}, first.validators);
      // 1.2 is listed but its POM is missing: skipped, not fatal.
      expect(versionsOf(third).map(v => v.version)).toEqual(['1.0', '1.1']);
      expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('app-1.2.pom answered 404'));
      // Released versions seen before are not fetched again.
      expect(server.requestsTo('/com/example/app/1.0/app-1.0.pom')).toHaveLength(pomRequests);
    } finally {
      publishAppMetadata(server, ['1.0', '1.1', '2.0-SNAPSHOT']);
    }
  });

  it('throws NotFoundError for unknown artifacts and InputError for malformed ids and config', async () => {
    await expect(discover('com.example:missing')).rejects.toBeInstanceOf(NotFoundError);
    await expect(discover('com.example')).rejects.toThrow(InputError);
    await expect(discover('com.example')).rejects.toThrow(/^id: /);
    await expect(discover('a:b:c')).rejects.toThrow(/^id: /);
    expect(() => maven.normalizeId!('../etc:passwd')).toThrow(InputError);
    expect(maven.normalizeId!(' org.slf4j:slf4j-api ')).toBe('org.slf4j:slf4j-api');
    await expect(discover('com.example:app', { scope: 'test' })).rejects.toThrow(
      /^config\.scope: Unknown key$/,
    );
    await expect(discover('com.example:app', { repository: 'https://evil.example/m2' })).rejects.toThrow(
      /config\.repository: .* is not an allowed repository/,
    );
  });

  it('passes an allowed per-artifact repository on to dependencies', async () => {
    const other = await startMavenRepository();
    try {
      const processor = createMavenProcessor({
        config: new ConfigReader({ repository: server.url, allowedRepositories: [other.url] }),
        upstream: new UpstreamClient({ retries: 0 }),
      });
      const result = await processor.discover(
        { id: 'com.example:app', config: { repository: other.url } },
        { logger },
      );
      expect(other.requestsTo('/com/example/app/maven-metadata.xml')).toHaveLength(1);
      expect(byVersion(result, '1.1').dependencies.map(d => d.config)).toEqual(
        Array(5).fill({ repository: other.url }),
      );
      expect(processor.allowedHosts!()).toEqual([new URL(server.url).host, new URL(other.url).host]);
    } finally {
      await other.close();
    }
  });

  it('uses Maven Central by default', () => {
    const processor = createMavenProcessor({ upstream: new UpstreamClient() });
    expect(processor.allowedHosts!()).toEqual(['repo.maven.apache.org']);
    expect(processor.name).toBe('maven');
    expect(processor.versions.name).toBe('maven');
  });
});
