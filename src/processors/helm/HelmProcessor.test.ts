import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import { FakeOciRegistry } from '../../__testUtils__/fakeOciRegistry';
import { chartAsOciArtifact, packChart, sha256Hex, TestChartRepository } from '../../__testUtils__/helmCharts';
import { StaticRegistryServer } from '../../__testUtils__/staticRegistryServer';
import { parseArtifactConfig } from '../../lib/validation';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { fresh } from '../__testUtils__/discoveryResults';
import { createOciProcessor } from '../oci';
import { BackpackProcessor } from '../types';
import { createHelmProcessor, mergeHelmConfig } from './HelmProcessor';
import { helmVersionScheme } from './helmVersionScheme';

const logger = mockServices.logger.mock();
const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('the Helm processor', () => {
  let repo: TestChartRepository;
  let other: TestChartRepository;

  beforeAll(async () => {
    repo = await TestChartRepository.start('/stable');
    other = await TestChartRepository.start('/charts');
    repo.add({ name: 'common', version: '1.0.0' });
    repo.add({ name: 'common', version: '1.4.0', provenance: true });
    repo.add({ name: 'common', version: '2.0.0' });
    repo.add({
      name: 'web',
      version: '3.1.0',
      appVersion: '1.27.0',
      dependencies: [
        { name: 'common', version: '^1.2.0', repository: repo.url, alias: 'lib' },
        { name: 'cache', version: '~2.0', repository: '@other' },
        { name: 'db', version: '>= 1.0, < 2', repository: 'https://charts.unknown.example/x' },
        { name: 'app', version: '1.x', repository: 'oci://registry.example.com/charts' },
        { name: 'vendored', version: '0.1.0', repository: 'file://../vendored' },
        { name: 'nowhere', version: '1.0.0', repository: 'oci://unknown.example/charts' },
      ],
      annotations: {
        'artifacthub.io/images': '- name: web\n  image: registry.example.com/team/web:1.27.0\n- name: proxy\n  image: nginx:1.27\n',
        'helm.sh/images': `- busybox@${DIGEST}\n`,
      },
      values: {
        image: { registry: 'registry.example.com', repository: 'team/web', tag: '1.27.0' },
        sidecar: { image: 'quay.io/prometheus/node-exporter:v1.8.0' },
        worker: { image: { repository: 'team/worker', tag: '' } },
        initImage: 'ghcr.io/acme/init',
        controller: { image: { registry: 'registry.example.com', image: 'ingress/controller', tag: 'v1.11.3', digest: DIGEST, pullPolicy: 'IfNotPresent' } },
        broken: { image: '{{ .Values.image }}' },
        elsewhere: { image: 'private.example.org:5000/x/y:1' },
        imagePullPolicy: 'IfNotPresent',
      },
    });
    other.add({ name: 'cache', version: '2.0.3' });
  });

  afterAll(async () => {
    await repo.close();
    await other.close();
  });

  function processor(extra: JsonObject = {}): BackpackProcessor {
    return createHelmProcessor({
      config: new ConfigReader({ repositories: { stable: { url: repo.url }, other: { url: `${other.url}/` } }, ...extra }),
      ociConfig: new ConfigReader({ registries: { example: { alias: 'registry.example.com', url: 'https://registry.example.com' } } }),
      upstream: new UpstreamClient({ retries: 0 }),
    });
  }

  it('lists the versions of a chart from index.yaml, by alias or by the repository URL', async () => {
    const p = processor();
    for (const repository of ['stable', `${repo.url}/`]) {
      const result = fresh(await p.discover({ id: 'common', config: { repository } }, { logger }));
      expect(result.versions.map(v => v.version)).toEqual(['1.0.0', '1.4.0', '2.0.0']);
      expect(result.versions[0].publishedAt).toBe('2026-11-01T00:00:00.000Z');
    }
  });

  it('answers 304 when index.yaml did not change, asking the repository conditionally', async () => {
    const first = fresh(await processor().discover({ id: 'common', config: { repository: 'stable' } }, { logger }));
    // Another process (or a minute later): the stored validators go upstream.
    const second = await processor().discover({ id: 'common', config: { repository: 'stable' } }, { logger, validators: first.validators });
    expect(second.notModified).toBe(true);
    expect(repo.server.requestsTo('/stable/index.yaml').at(-1)?.status).toBe(304);
  });

  it("reads a repository's index once for all its charts discovered together", async () => {
    const p = processor();
    const before = repo.server.requestsTo('/stable/index.yaml').length;
    const [common, web] = await Promise.all(
      ['common', 'web'].map(id => p.discover({ id, config: { repository: 'stable' } }, { logger })),
    );
    expect(fresh(common).versions).toHaveLength(3);
    expect(fresh(web).versions).toHaveLength(1);
    expect(repo.server.requestsTo('/stable/index.yaml').length - before).toBe(1);
  });

  it('refuses repositories that are not configured, oci:// repositories and bad chart names with a 400 naming the field', async () => {
    const p = processor();
    expect(() => parseArtifactConfig(p.configSchema, { repository: 'https://elsewhere.example/charts' })).toThrow(
      /config\.repository: .*not a configured chart repository.*stable, other/,
    );
    expect(parseArtifactConfig(p.configSchema, { repository: 'oci://ghcr.io/x' })).toEqual({ repository: 'oci://ghcr.io/x' });
    expect(() => parseArtifactConfig(p.configSchema, { repository: 'oci://unknown.example/x' })).toThrow(
      /config\.repository: registry 'unknown\.example' has no alias in backpack\.processors\.oci\.registries/,
    );
    expect(() => parseArtifactConfig(p.configSchema, { repository: 'stable', images: ['unknown.example/x:1'] })).toThrow(
      /config\.images\[0\]: registry 'unknown.example' has no alias/,
    );
    expect(() => parseArtifactConfig(p.configSchema, { repository: 'stable', extra: 1 })).toThrow(/extra/);
    expect(() => p.normalizeId!('../x')).toThrow(/^id: /);
    await expect(p.discover({ id: 'missing', config: { repository: 'stable' } }, { logger })).rejects.toThrow(
      /chart 'missing' is not in repository 'stable'/,
    );
  });

  it('describes a version: the archive with the index digest, its provenance file, and nothing unverified', async () => {
    const p = processor();
    const plain = await p.describeVersion!({ id: 'common', config: { repository: 'stable' }, version: '1.0.0' }, { logger });
    expect(plain.files).toEqual([
      {
        name: 'common-1.0.0.tgz',
        uri: `${repo.url}/charts/common-1.0.0.tgz`,
        path: 'charts/common/1.0.0/common-1.0.0.tgz',
        integrity: { algorithm: 'sha256', digest: sha256Hex(repo.archives.get('common-1.0.0.tgz')!) },
        size: repo.archives.get('common-1.0.0.tgz')!.length,
      },
    ]);
    const signed = await p.describeVersion!({ id: 'common', config: { repository: 'stable' }, version: '1.4.0' }, { logger });
    expect(signed.files.map(f => f.name)).toEqual(['common-1.4.0.tgz', 'common-1.4.0.tgz.prov']);
    expect(signed.files[1].integrity?.algorithm).toBe('sha256');
    await expect(
      p.describeVersion!({ id: 'common', config: { repository: 'stable' }, version: '9.9.9' }, { logger }),
    ).rejects.toThrow(/no version 9\.9\.9/);
  });

  it('refuses an archive whose bytes are not those the index digest names', async () => {
    const tampered = await TestChartRepository.start('/t');
    try {
      tampered.add({ name: 'evil', version: '1.0.0' }, { tamper: true });
      const p = createHelmProcessor({
        config: new ConfigReader({ repositories: { t: { url: tampered.url } } }),
        upstream: new UpstreamClient({ retries: 0 }),
      });
      await expect(
        p.describeVersion!({ id: 'evil', config: { repository: 't' }, version: '1.0.0' }, { logger }),
      ).rejects.toThrow(/is not the index digest/);
    } finally {
      await tampered.close();
    }
  });

  it('turns Chart.yaml dependencies into helm and oci artifacts, and says why the others cannot be mirrored', async () => {
    const { dependencies } = await processor().describeVersion!(
      { id: 'web', config: { repository: 'stable' }, version: '3.1.0' },
      { logger },
    );
    const charts = dependencies.filter(d => d.source?.startsWith('Chart.yaml'));
    expect(charts).toEqual([
      { processor: 'helm', id: 'common', range: '^1.2.0', kind: 'runtime', source: 'Chart.yaml dependencies (as lib)', config: { repository: 'stable' } },
      { processor: 'helm', id: 'cache', range: '~2.0', kind: 'runtime', source: 'Chart.yaml dependencies', config: { repository: 'other' } },
      expect.objectContaining({ processor: 'helm', id: 'db', unresolvable: expect.stringMatching(/not configured in backpack\.processors\.helm\.repositories/) }),
      { processor: 'helm', id: 'app', range: '1.x', kind: 'runtime', source: 'Chart.yaml dependencies', config: { repository: 'oci://registry.example.com/charts' } },
      expect.objectContaining({ processor: 'helm', id: 'nowhere', unresolvable: expect.stringMatching(/registry 'unknown\.example' has no alias/) }),
    ]);
  });

  it('finds images in annotations and values.yaml (strings, registry/repository/tag maps, digests), merged by image with every source', async () => {
    const { dependencies } = await processor().describeVersion!(
      { id: 'web', config: { repository: 'stable', images: ['docker.io/library/redis:7.2'] }, version: '3.1.0' },
      { logger },
    );
    const images = Object.fromEntries(
      dependencies.filter(d => !d.source?.startsWith('Chart.yaml')).map(d => [`${d.id}@${d.range}`, d.unresolvable ?? d.source]),
    );
    expect(images).toEqual({
      'registry.example.com/team/web@1.27.0': 'annotation artifacthub.io/images; values.yaml image',
      'docker.io/library/nginx@1.27': 'annotation artifacthub.io/images',
      [`docker.io/library/busybox@${DIGEST}`]: 'annotation helm.sh/images',
      'quay.io/prometheus/node-exporter@v1.8.0': 'values.yaml sidecar.image',
      'docker.io/team/worker@1.27.0': 'values.yaml worker.image (tag: the chart appVersion)',
      'ghcr.io/acme/init@latest': 'values.yaml initImage',
      [`registry.example.com/ingress/controller@${DIGEST}`]: 'values.yaml controller.image',
      'private.example.org:5000/x/y:1@': expect.stringMatching(/registry 'private\.example\.org:5000' has no alias/),
      'docker.io/library/redis@7.2': 'config images',
    });
    expect(dependencies.every(d => d.kind === 'runtime')).toBe(true);
  });

  it("takes the images of the subcharts the archive carries as the chart's own, saying which subchart", async () => {
    const server = await TestChartRepository.start('/v');
    try {
      server.add({
        name: 'app',
        version: '1.0.0',
        files: {
          'charts/redis-17.3.0.tgz': packChart({
            name: 'redis',
            version: '17.3.0',
            appVersion: '7.0.5',
            values: { image: { registry: 'docker.io', repository: 'bitnami/redis', tag: '' } },
          }),
        },
      });
      const p = createHelmProcessor({
        config: new ConfigReader({ repositories: { v: { url: server.url } } }),
        upstream: new UpstreamClient({ retries: 0 }),
      });
      const { dependencies } = await p.describeVersion!({ id: 'app', config: { repository: 'v' }, version: '1.0.0' }, { logger });
      expect(dependencies).toEqual([
        {
          processor: 'oci',
          id: 'docker.io/bitnami/redis',
          range: '7.0.5',
          kind: 'runtime',
          source: 'charts/redis-17.3.0.tgz/values.yaml image (tag: the chart appVersion)',
        },
      ]);
    } finally {
      await server.close();
    }
  });

  it('mirrors charts stored in OCI registries: tags as versions, the chart as an oci artifact, its images and subcharts followed', async () => {
    const registry = await FakeOciRegistry.start();
    try {
      const app = (version: string) =>
        chartAsOciArtifact({
          name: 'app',
          version,
          dependencies: [{ name: 'lib', version: '~1.0.0', repository: `oci://${new URL(registry.url).host}/charts` }],
          values: { image: { repository: 'library/nginx', tag: '1.27' } },
        });
      registry.push('charts/app', '1.0.0', app('1.0.0')).push('charts/app', '1.1.0_build.7', app('1.1.0+build.7'));
      registry.push('charts/app', 'not-a-version', app('9.9.9'));
      const ociConfig = new ConfigReader({ registries: { fake: { url: registry.url } } });
      const upstream = new UpstreamClient({ retries: 0 });
      // As in the backend: the oci processor lets its registries through the host policy and authenticates them.
      createOciProcessor({ config: ociConfig, upstream });
      const p = createHelmProcessor({ ociConfig, upstream });
      const config = { repository: `oci://${new URL(registry.url).host}/charts` };
      expect(parseArtifactConfig(p.configSchema, config)).toEqual(config);
      const listing = fresh(await p.discover({ id: 'app', config }, { logger }));
      expect(listing.versions.map(v => v.version).sort()).toEqual(['1.0.0', '1.1.0+build.7']);
      const described = await p.describeVersion!({ id: 'app', config, version: '1.1.0+build.7' }, { logger });
      expect(described.files).toEqual([]);
      expect(described.dependencies).toEqual([
        { processor: 'oci', id: 'fake/charts/app', range: '1.1.0_build.7', kind: 'runtime', source: 'the chart, stored as an OCI artifact' },
        { processor: 'helm', id: 'lib', range: '~1.0.0', kind: 'runtime', source: 'Chart.yaml dependencies', config },
        { processor: 'oci', id: 'docker.io/library/nginx', range: '1.27', kind: 'runtime', source: 'values.yaml image' },
      ]);
      await expect(p.describeVersion!({ id: 'app', config, version: '2.0.0' }, { logger })).rejects.toThrow(/not found/);
    } finally {
      await registry.close();
    }
  });

  it('downloads an archive once however often its version is described', async () => {
    const p = processor();
    const archiveRequests = () => repo.server.requests.filter(r => r.path === '/stable/charts/common-2.0.0.tgz').length;
    const before = archiveRequests();
    await p.describeVersion!({ id: 'common', config: { repository: 'stable' }, version: '2.0.0' }, { logger });
    await p.describeVersion!({ id: 'common', config: { repository: 'stable' }, version: '2.0.0' }, { logger });
    expect(archiveRequests() - before).toBe(1);
  });

  it('treats index.yaml as hostile: unusable entries are left out with a warning, other hosts go through the host policy', async () => {
    const server = await StaticRegistryServer.start();
    try {
      const good = packChart({ name: 'x', version: '1.0.0' });
      server.set('/r/x-1.0.0.tgz', good);
      server.set(
        '/r/index.yaml',
        [
          'apiVersion: v1',
          'entries:',
          '  x:',
          `    - { version: 1.0.0, digest: ${sha256Hex(good)}, urls: [x-1.0.0.tgz] }`,
          '    - { version: 1.0.0, urls: [x-1.0.0.tgz] }',
          '    - { version: ../../etc, urls: [x.tgz] }',
          '    - { version: not-semver, urls: [x.tgz] }',
          '    - { version: 2.0.0, urls: ["javascript:alert(1)"] }',
          '    - { version: 3.0.0, digest: nope, urls: ["http://elsewhere.invalid/x-3.0.0.tgz"] }',
        ].join('\n'),
      );
      server.set('/broken/index.yaml', 'entries: [unclosed');
      const warn = jest.fn();
      const p = createHelmProcessor({
        config: new ConfigReader({ repositories: { r: { url: `${server.url}/r` }, broken: { url: `${server.url}/broken` } } }),
        upstream: new UpstreamClient({ retries: 0 }),
      });
      const quiet = { logger: { ...logger, warn } as typeof logger };
      const result = fresh(await p.discover({ id: 'x', config: { repository: 'r' } }, quiet));
      expect(result.versions.map(v => v.version)).toEqual(['1.0.0', '3.0.0']);
      expect(warn.mock.calls.map(c => c[0]).join('\n')).toMatch(/listed twice[\s\S]*valid semver[\s\S]*valid semver[\s\S]*no http\(s\) URL[\s\S]*not a sha256 hex digest/);
      await expect(
        p.describeVersion!({ id: 'x', config: { repository: 'r' }, version: '3.0.0' }, quiet),
      ).rejects.toThrow(/elsewhere\.invalid/);
      await expect(p.discover({ id: 'x', config: { repository: 'broken' } }, quiet)).rejects.toThrow(/index\.yaml: not readable YAML/);
    } finally {
      await server.close();
    }
  });

  it('orders versions and reads constraints as Helm does', () => {
    expect(helmVersionScheme.satisfies('1.4.0', '>= 1.2, < 2')).toBe(true);
    expect(helmVersionScheme.satisfies('2.0.0', '>= 1.2, < 2')).toBe(false);
    expect(helmVersionScheme.satisfies('1.3.9', '1.x')).toBe(true);
    expect(helmVersionScheme.satisfies('1.5.0-rc.1', '^1.2.0')).toBe(false);
    expect(helmVersionScheme.isValidRange('')).toBe(false);
    expect(['2.0.0', '1.10.0', '1.9.0'].sort(helmVersionScheme.compare)).toEqual(['1.9.0', '1.10.0', '2.0.0']);
  });

  it("merges two parents' configs: the images of both, the first one's repository", () => {
    const a = { repository: 'stable', images: ['b:1'] };
    const b = { repository: 'other', images: ['a:1', 'b:1'] };
    expect(mergeHelmConfig(a, b)).toEqual({ repository: 'stable', images: ['a:1', 'b:1'] });
    expect(mergeHelmConfig(b, a)).toEqual({ repository: 'other', images: ['a:1', 'b:1'] });
    expect(mergeHelmConfig({ repository: 'stable' }, {})).toEqual({ repository: 'stable' });
  });
});
