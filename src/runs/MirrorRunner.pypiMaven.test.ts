import { TestDatabases } from '@backstage/backend-test-utils';
import { publishJar, publishMetadata, startMavenRepository } from '../__testUtils__/mavenRepository';
import { MirrorHarness } from '../__testUtils__/mirrorHarness';
import { startPypiIndex } from '../__testUtils__/pypiIndex';
import { StaticRegistryServer } from '../__testUtils__/staticRegistryServer';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

describe('MirrorRunner against a PyPI index and a Maven repository', () => {
  let pypi: StaticRegistryServer;
  let maven: StaticRegistryServer;
  let harness: MirrorHarness;

  beforeAll(async () => {
    pypi = await startPypiIndex();
    maven = await startMavenRepository();
    // Upstream artifacts the fixture's POMs name, so that ranges resolve.
    publishJar(maven, 'org.slf4j', 'slf4j-api', ['1.7.36', '2.0.9', '2.0.12', '3.0.0']);
    // A native library that two clients need with different classifiers.
    publishJar(maven, 'com.example.native', 'transport', ['4.1.100'], {
      classifiers: ['linux-x86_64', 'linux-aarch_64', 'osx-x86_64'],
    });
    publishJar(maven, 'com.example', 'client-x86', ['1.0'], {
      dependencies: ['com.example.native:transport:4.1.100:linux-x86_64'],
    });
    publishJar(maven, 'com.example', 'client-arm', ['1.0'], {
      dependencies: ['com.example.native:transport:4.1.100:linux-aarch_64'],
    });
    // The fixture has the grandparent's POM but no metadata.
    publishMetadata(maven, 'com.example', 'grandparent', ['1']);
  });

  afterAll(async () => {
    await pypi?.close();
    await maven?.close();
  });

  beforeEach(async () => {
    harness = await MirrorHarness.create(await databases.init('SQLITE_3'), {
      pypi: pypi.url,
      maven: maven.url,
    });
  });

  afterEach(async () => {
    await harness.close();
  });

  /** `dependency -> resolved | unresolvable` of every selected version, per artifact. */
  async function resolutions(processor: string) {
    const out: Record<string, string[]> = {};
    for (const artifact of await harness.stores.artifacts.listAllArtifacts()) {
      if (artifact.processor !== processor) continue;
      for (const version of await harness.stores.versions.getVersions(artifact.ref)) {
        if (version.status !== 'selected') continue;
        out[`${artifact.id}@${version.version}`] = version.dependencies
          .map(d => `${d.id} ${d.range} -> ${d.unresolvable ?? d.resolved.join(',')}`)
          .sort();
      }
    }
    return out;
  }

  it('selects the PyPI closure for the configured targets and extras', async () => {
    await harness.addRoot({
      processor: 'pypi',
      id: 'foo-bar',
      filter: '==2.0',
      filterType: 'semver',
      config: { pythonVersions: ['3.11'], platforms: ['manylinux_2_17_x86_64'], extras: ['fast'] },
    });
    await harness.run();

    expect(await harness.selectedPairs()).toEqual([
      'foo-bar@2.0',
      'pysocks@1.7.1',
      'requests@2.31.0',
    ]);
    expect(await resolutions('pypi')).toEqual({
      // Linux on CPython 3.11: no pywin32, colorama, tomli or importlib-metadata;
      // uvloop through the extra `fast`.
      'foo-bar@2.0': [
        'requests >=2.28,<3 -> 2.31.0',
        expect.stringMatching(/^uvloop >=0\.17 -> unknown package: /),
      ],
      // PySocks through the extra `socks` foo-bar asks requests for.
      'requests@2.31.0': [
        expect.stringMatching(/^idna <4,>=2\.5 -> unknown package: /),
        'pysocks !=1.5.7,>=1.5.6 -> 1.7.1',
      ],
      'pysocks@1.7.1': [],
    });
    const fooBar = (await harness.stores.artifacts.getArtifact('pypi', 'foo-bar'))!;
    const files = await harness.stores.versions.listFiles(fooBar.ref, '2.0', { limit: 50, offset: 0 });
    expect(files!.items.map(f => f.name)).toEqual([
      'foo_bar-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
      'foo_bar-2.0.tar.gz',
    ]);
  });

  it('selects the Maven closure through parents, BOMs, properties and ranges', async () => {
    await harness.addRoot({ processor: 'maven', id: 'com.example:app' });
    await harness.run();

    expect(await harness.selectedPairs()).toEqual([
      'com.example:app@1.0',
      'com.example:app@1.1',
      'com.example:bom@4.1',
      'com.example:grandparent@1',
      'com.example:parent@1.0',
      // 2.0.9 managed by the parent for app 1.0, the highest of [2.0,3.0) for app 1.1
      'org.slf4j:slf4j-api@2.0.12',
      'org.slf4j:slf4j-api@2.0.9',
    ]);
    const unknown = (id: string) => expect.stringMatching(new RegExp(`^${id} .* -> unknown package: `));
    expect(await resolutions('maven')).toEqual({
      'com.example:app@1.0': [
        'com.example:bom [4.1] -> 4.1',
        "com.example:broken ${undefined.property} -> unresolved property in version '${undefined.property}'",
        'com.example:parent [1.0] -> 1.0',
        unknown('com.example:sibling'),
        unknown('com.fasterxml.jackson.core:jackson-databind'),
        unknown('com.google.guava:guava'),
        unknown('io.netty:netty-transport-native-epoll'),
        unknown('org.apache.commons:commons-lang3'),
        unknown('org.postgresql:postgresql'),
        'org.slf4j:slf4j-api 2.0.9 -> 2.0.9',
      ],
      'com.example:app@1.1': [
        'com.example:bom [4.1] -> 4.1',
        'com.example:parent [1.0] -> 1.0',
        unknown('com.example:sibling'),
        unknown('com.example:tools'),
        'org.slf4j:slf4j-api [2.0,3.0) -> 2.0.12',
      ],
      'com.example:bom@4.1': [],
      'com.example:grandparent@1': [],
      'com.example:parent@1.0': [
        'com.example:bom [4.1] -> 4.1',
        'com.example:grandparent [1] -> 1',
      ],
      'org.slf4j:slf4j-api@2.0.12': [],
      'org.slf4j:slf4j-api@2.0.9': [],
    });
  });

  it('applies PEP 440 and Maven ranges and regular expressions as root filters', async () => {
    const none = { dependencyPolicy: 'none' as const };
    await harness.addRoot({ processor: 'pypi', id: 'foo-bar', filter: '>=1.0,<2.0', filterType: 'semver', ...none });
    await harness.addRoot({ processor: 'pypi', id: 'requests', filter: '^2\\.27\\.', filterType: 'regex', ...none });
    await harness.addRoot({ processor: 'maven', id: 'com.example:app', filter: '[1.0,1.1)', filterType: 'semver', ...none });
    await harness.addRoot({ processor: 'maven', id: 'org.slf4j:slf4j-api', filter: '^2\\.0\\.\\d+$', filterType: 'regex', ...none });
    await harness.run();
    expect(await harness.selectedPairs()).toEqual([
      'com.example:app@1.0',
      'foo-bar@1.0',
      'org.slf4j:slf4j-api@2.0.12',
      'org.slf4j:slf4j-api@2.0.9',
      'requests@2.27.0',
    ]);
  });

  it('keeps earlier selections when a registry is down during a full run', async () => {
    const index = await startPypiIndex();
    const own = await MirrorHarness.create(await databases.init('SQLITE_3'), { pypi: index.url });
    try {
      await own.addRoot({ processor: 'pypi', id: 'requests', filter: '==2.31.0', filterType: 'semver' });
      await own.run();
      const selected = await own.selectedPairs();
      expect(selected).toEqual(['requests@2.31.0']);

      await index.close();
      // Its only root could not be discovered: the run failed, and says why.
      const run = await own.run({}, { allow: ['failed'] });
      expect(run).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(/^Discovery failed for 1 artifact: pypi:requests \(/),
        counters: { artifactsFailed: 1, filesQueued: 0 },
      });
      expect(await own.selectedPairs()).toEqual(selected);
      expect(await own.stores.artifacts.getArtifact('pypi', 'requests')).toMatchObject({
        status: 'error',
        lastError: expect.any(String),
      });
    } finally {
      await own.close();
      await index.close().catch(() => undefined);
    }
  });

  it('ends partial when the discovery of one of its roots failed, and names it', async () => {
    const index = await startPypiIndex();
    const own = await MirrorHarness.create(await databases.init('SQLITE_3'), {
      pypi: index.url,
      maven: maven.url,
    });
    try {
      const none = { dependencyPolicy: 'none' as const };
      await own.addRoot({ processor: 'pypi', id: 'requests', filter: '==2.31.0', filterType: 'semver', ...none });
      await own.addRoot({ processor: 'maven', id: 'org.slf4j:slf4j-api', filter: '^2\\.0\\.12$', filterType: 'regex', ...none });
      await own.startCollecting();
      expect(await own.run()).toMatchObject({ status: 'succeeded', counters: { artifactsFailed: 0, filesParked: 0 } });

      await index.close();
      const run = await own.run({}, { allow: ['partial'] });
      expect(run).toMatchObject({
        status: 'partial',
        error: expect.stringMatching(/^Discovery failed for 1 artifact: pypi:requests \(/),
        counters: { artifacts: 2, artifactsFailed: 1, filesParked: 0 },
      });
      expect(await own.selectedPairs()).toEqual(['org.slf4j:slf4j-api@2.0.12', 'requests@2.31.0']);
    } finally {
      await own.close();
      await index.close().catch(() => undefined);
    }
  });

  it('includes the extras every parent asks for, whichever parent reaches a project first', async () => {
    // foo-bar 1.0 requires plain requests, 2.0 requires requests[socks].
    await harness.addRoot({
      processor: 'pypi',
      id: 'foo-bar',
      filter: '>=1.0',
      filterType: 'semver',
      config: { pythonVersions: ['3.11'], platforms: ['manylinux_2_17_x86_64'] },
    });
    await harness.startCollecting();
    await harness.run();
    await harness.waitForCollection();
    expect(await harness.selectedPairs()).toEqual([
      'foo-bar@1.0',
      'foo-bar@2.0',
      'pysocks@1.7.1',
      'requests@2.31.0',
    ]);
    // A preview, which discovers without stored configs, walks the same.
    const preview = await harness.runner.preview([
      {
        processor: 'pypi',
        id: 'foo-bar',
        filter: '>=1.0',
        filterType: 'semver',
        config: { pythonVersions: ['3.11'], platforms: ['manylinux_2_17_x86_64'] },
        dependencyPolicy: 'latest',
      },
    ]);
    expect(
      preview.artifacts.flatMap(a => a.selected.map(v => `${a.id}@${v.version}`)).sort(),
    ).toEqual(await harness.selectedPairs());

    const requests = (await harness.stores.artifacts.getArtifact('pypi', 'requests'))!;
    expect(requests.validators?.config).toEqual({
      pythonVersions: ['3.11'],
      platforms: ['manylinux_2_17_x86_64'],
      extras: ['socks'],
    });

    // The next run discovers requests once, under the combined config: a 304.
    const rows = harness.stores.writes.rows;
    const requestsBefore = pypi.requestsTo('/pypi/requests/').length;
    const notModified = harness.upstream.counters.notModified;
    const run = await harness.run();
    expect(pypi.requestsTo('/pypi/requests/').length - requestsBefore).toBe(1);
    expect(harness.upstream.counters.notModified - notModified).toBe(run.counters.artifacts - 1);
    expect(harness.stores.writes.rows).toBe(rows);
    expect(await harness.selectedPairs()).toContain('pysocks@1.7.1');
  });

  it('collects the classified jars every parent asks for', async () => {
    await harness.addRoot({ processor: 'maven', id: 'com.example:client-x86' });
    await harness.addRoot({ processor: 'maven', id: 'com.example:client-arm' });
    await harness.run();
    const transport = (await harness.stores.artifacts.getArtifact('maven', 'com.example.native:transport'))!;
    const files = await harness.stores.versions.listFiles(transport.ref, '4.1.100', { limit: 50, offset: 0 });
    expect(files!.items.map(f => f.name).sort()).toEqual([
      'transport-4.1.100-linux-aarch_64.jar',
      'transport-4.1.100-linux-x86_64.jar',
      'transport-4.1.100.jar',
      'transport-4.1.100.pom',
    ]);
  });

  it('forgets the dependencies a changed config no longer declares', async () => {
    const linux = { platforms: ['manylinux_2_17_x86_64'] };
    const root = await harness.addRoot({
      processor: 'pypi',
      id: 'foo-bar',
      filter: '==2.0',
      filterType: 'semver',
      dependencyPolicy: 'none',
      config: { pythonVersions: ['3.10'], ...linux },
    });
    await harness.run();
    const dependencies = async () =>
      (await harness.stores.versions.listArtifactDependencies(root.ref)).map(d => d.id);
    // Python 3.10 needs tomli and importlib-metadata.
    expect(await dependencies()).toEqual(['importlib-metadata', 'requests', 'tomli']);

    await harness.stores.artifacts.updateArtifact(root.ref, { config: { pythonVersions: ['3.12'], ...linux } });
    await harness.run();
    expect(await dependencies()).toEqual(['requests']);
    // And so after a 304, too.
    const notModified = harness.upstream.counters.notModified;
    await harness.run();
    expect(harness.upstream.counters.notModified - notModified).toBe(1);
    expect(await dependencies()).toEqual(['requests']);
  });
});
