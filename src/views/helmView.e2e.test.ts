import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import { AuthorizeResult, PolicyDecision } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { parse } from 'yaml';
import { binaryBody } from '../__testUtils__/api';
import { BackpackBackend, startBackpackBackend } from '../__testUtils__/backpackBackend';
import { chartAsOciArtifact, sha256Hex, TestChartRepository } from '../__testUtils__/helmCharts';
import { permissionsWithPolicy } from '../__testUtils__/permissionPolicy';
import { buildImage, TestImage, writeOciLayout } from '../__testUtils__/ociImages';
import { hasOciTools, pushLayout, skopeo, startDockerRegistry, TestDockerRegistry } from '../__testUtils__/ociRegistry';
import { waitFor } from '../__testUtils__/waitFor';
import { downloadExport, runVerify, startStaticServer, unpackBundle } from '../exports/__testUtils__/bundleFiles';
import {
  backpackArtifactConditions,
  backpackArtifactReadPermission,
  createBackpackArtifactConditionalDecision,
} from '../permissions';

// Acceptance test of the helm processor, the Helm view and the bundle's
// chart repository (issue 12): a chart repository on a static server the
// tests generate, with a chart that has a subchart (range dependency) and
// images in its annotations and values.yaml; the images are built here and
// pushed with skopeo into the real distribution registry.
//
// No helm CLI is installed here (Debian does not package it), so the
// client side follows Helm's protocol by hand: index.yaml as Helm reads it
// (apiVersion v1, entries by chart, urls resolved against the repository
// URL as Helm's ResolveReferenceURL does, sha256 digests).
//
// Needs Debian's docker-registry and skopeo: CI installs them (.ci/run); a
// developer machine without them skips this suite.
const suite = hasOciTools() ? describe : describe.skip;

jest.setTimeout(240_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const patient = { attempts: 1500, intervalMs: 100 };

interface IndexYaml {
  apiVersion: string;
  entries: Record<string, Array<{ name: string; version: string; digest: string; urls: string[]; appVersion?: string; dependencies?: unknown[] }>>;
}

/** A chart URL of an index as Helm resolves it: relative to the repository URL with a trailing slash. */
const resolveChartUrl = (repositoryUrl: string, url: string) => new URL(url, `${repositoryUrl.replace(/\/+$/, '')}/`).href;

suite.each(databases.eachSupportedId())('Helm charts with their subcharts and images on %p', databaseId => {
  let registry: TestDockerRegistry | undefined;
  let charts: TestChartRepository | undefined;
  let backend: BackpackBackend;
  let work: string;
  const web = buildImage('web');
  const worker = buildImage('worker', { salt: 'w' });
  let archives: Record<string, Buffer>;
  let cacheChart: TestImage;
  let readDecision: PolicyDecision = { result: AuthorizeResult.ALLOW };

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-helm-'));
    const layout = path.join(work, 'layout');
    await writeOciLayout(layout, [
      { tag: '1.0.0', image: web },
      { tag: '2.0.0', image: worker },
    ]);
    registry = await startDockerRegistry();
    await pushLayout(layout, '1.0.0', registry.host, 'team/web');
    await pushLayout(layout, '2.0.0', registry.host, 'team/worker');
    // A subchart stored in the registry as an OCI artifact, as `helm push` stores it.
    cacheChart = chartAsOciArtifact({
      name: 'cache',
      version: '1.0.0',
      values: { image: { registry: registry.host, repository: 'team/worker', tag: '2.0.0' } },
    });
    const chartLayout = path.join(work, 'chart-layout');
    await writeOciLayout(chartLayout, [{ tag: '1.0.0', image: cacheChart }]);
    await pushLayout(chartLayout, '1.0.0', registry.host, 'charts/cache');

    charts = await TestChartRepository.start('/stable');
    archives = {};
    for (const version of ['1.0.0', '1.2.0', '2.0.0']) {
      archives[`common-${version}`] = charts.add({ name: 'common', version, provenance: version === '1.2.0' });
    }
    archives['web-3.1.0'] = charts.add({
      name: 'web',
      version: '3.1.0',
      appVersion: '2.0.0',
      dependencies: [
        { name: 'common', version: '^1.0.0', repository: charts.url, alias: 'lib' },
        { name: 'cache', version: '^1.0.0', repository: `oci://${registry.host}/charts` },
      ],
      annotations: { 'artifacthub.io/images': `- name: web\n  image: ${registry.host}/team/web:1.0.0\n` },
      values: {
        image: { registry: registry.host, repository: 'team/web', tag: '1.0.0' },
        worker: { image: { registry: registry.host, repository: 'team/worker', tag: '' } },
      },
    });

    backend = await startBackpackBackend({
      knex: await databases.init(databaseId),
      backpack: {
        processors: {
          oci: { registries: { local: { url: registry.url } } },
          helm: { repositories: { stable: { url: charts.url } } },
        },
        exports: { partSizeBytes: 65536, settleSeconds: 1 },
      },
      features: [
        permissionsWithPolicy(name =>
          name === backpackArtifactReadPermission.name ? readDecision : { result: AuthorizeResult.ALLOW },
        ),
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await registry?.stop();
    await charts?.close();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('previews the closure, saying where each image came from', async () => {
    const res = await request(backend.server)
      .post('/api/backpack/artifacts/preview')
      .send({ processor: 'helm', id: 'web', config: { repository: 'stable' } });
    expect(res.status).toBe(200);
    const webArtifact = res.body.artifacts.find((a: { processor: string; id: string }) => a.processor === 'helm' && a.id === 'web');
    expect(webArtifact.versions[0].sources).toEqual([
      { processor: 'helm', id: 'common', range: '^1.0.0', source: 'Chart.yaml dependencies (as lib)' },
      { processor: 'helm', id: 'cache', range: '^1.0.0', source: 'Chart.yaml dependencies' },
      { processor: 'oci', id: 'local/team/web', range: '1.0.0', source: 'annotation artifacthub.io/images; values.yaml image' },
      { processor: 'oci', id: 'local/team/worker', range: '2.0.0', source: 'values.yaml worker.image (tag: the chart appVersion)' },
    ]);
    expect(res.body.closure).toEqual({
      helm: ['cache@1.0.0', 'common@1.2.0', 'web@3.1.0'],
      oci: ['local/charts/cache@1.0.0', 'local/team/web@1.0.0', 'local/team/worker@2.0.0'],
    });
    const cache = res.body.artifacts.find((a: { processor: string; id: string }) => a.processor === 'helm' && a.id === 'cache');
    expect(cache.versions[0].sources).toEqual([
      { processor: 'oci', id: 'local/charts/cache', range: '1.0.0', source: 'the chart, stored as an OCI artifact' },
      { processor: 'oci', id: 'local/team/worker', range: '2.0.0', source: 'values.yaml image' },
    ]);
    expect(res.body.unresolvable).toEqual([]);
  });

  it('mirrors both charts into an index.yaml with matching digests, and the images with their closure', async () => {
    const created = await request(backend.server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'helm', id: 'web', config: { repository: 'stable' } });
    expect(created.status).toBe(201);
    await backend.waitForWalk(created.body.runId, patient);
    const counts = await backend.waitForCollection(patient);
    expect(counts.parked ?? 0).toBe(0);

    // A run that finds nothing new downloads no chart again, and index.yaml at most conditionally.
    const seen = charts!.server.requests.length;
    const rerun = await request(backend.server).post('/api/backpack/runs').send({});
    expect(rerun.status).toBe(202);
    const settled = await backend.waitForRun(rerun.body.id, patient);
    expect(settled.status).toBe('succeeded');
    const again = charts!.server.requests.slice(seen);
    expect(again.filter(r => r.path.endsWith('index.yaml') && r.status !== 304)).toEqual([]);
    expect(again.filter(r => r.path.endsWith('.tgz'))).toEqual([]);

    // The chart repository and the registry are gone: everything comes from the mirror.
    await charts!.close();
    charts = undefined;
    await registry!.stop();
    registry = undefined;

    const repositoryUrl = `${backend.baseUrl}/helm/stable`;
    const res = await request(backend.server).get('/api/backpack/helm/stable/index.yaml');
    expect(res.status).toBe(200);
    const index = parse(res.text) as IndexYaml;
    expect(index.apiVersion).toBe('v1');
    // The OCI-stored subchart is no archive of this repository: it is pulled from /v2/.
    expect(Object.keys(index.entries).sort()).toEqual(['common', 'web']);
    expect(index.entries.common.map(e => e.version)).toEqual(['1.2.0']);
    expect(index.entries.web[0]).toMatchObject({ name: 'web', version: '3.1.0', appVersion: '2.0.0' });
    expect(index.entries.web[0].dependencies).toEqual([
      { name: 'common', version: '^1.0.0', repository: expect.stringMatching(/^http:/), alias: 'lib' },
      { name: 'cache', version: '^1.0.0', repository: expect.stringMatching(/^oci:\/\//) },
    ]);
    for (const [chart, entries] of Object.entries(index.entries)) {
      for (const entry of entries) {
        const archive = archives[`${chart}-${entry.version}`];
        expect(entry.digest).toBe(sha256Hex(archive));
        const url = new URL(resolveChartUrl(repositoryUrl, entry.urls[0]));
        const file = await request(backend.server).get(url.pathname).buffer(true).parse(binaryBody);
        expect(file.status).toBe(200);
        expect(sha256Hex(file.body)).toBe(entry.digest);
        expect(file.headers['x-backpack-verified']).toBe('true');
      }
    }
    const provenance = await request(backend.server).get('/api/backpack/helm/charts/common/1.2.0/common-1.2.0.tgz.prov');
    expect(provenance.status).toBe(200);
    expect((await request(backend.server).get('/api/backpack/helm/other/index.yaml')).status).toBe(404);
    expect((await request(backend.server).get('/api/backpack/helm/charts/common/1.0.0/common-1.0.0.tgz')).status).toBe(404);

    const images: Array<[string, string, TestImage]> = [
      ['local/team/web', '1.0.0', web],
      ['local/team/worker', '2.0.0', worker],
      // The OCI-stored subchart is served from /v2/ as pushed, for `helm pull oci://…`.
      ['local/charts/cache', '1.0.0', cacheChart],
    ];
    for (const [name, tag, image] of images) {
      const target = path.join(work, `copy-${name.replace(/\W/g, '-')}`);
      await skopeo(['copy', '--all', '--src-tls-verify=false', `docker://${new URL(backend.baseUrl).host}/${name}:${tag}`, `oci:${target}:copied`]);
      const copied = JSON.parse(await fs.readFile(path.join(target, 'index.json'), 'utf8'));
      expect(copied.manifests.map((m: { digest: string }) => m.digest)).toEqual([image.root.digest]);
      for (const object of [...image.manifests, ...image.blobs]) {
        const bytes = await fs.readFile(path.join(target, 'blobs', 'sha256', object.digest.slice(7)));
        expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(object.digest);
      }
    }
  });

  it('lists and serves only the charts the caller may read', async () => {
    readDecision = createBackpackArtifactConditionalDecision(
      backpackArtifactReadPermission,
      backpackArtifactConditions.isRoot({ root: true }),
    );
    try {
      const index = parse((await request(backend.server).get('/api/backpack/helm/stable/index.yaml')).text) as IndexYaml;
      expect(Object.keys(index.entries)).toEqual(['web']);
      expect((await request(backend.server).get('/api/backpack/helm/charts/common/1.2.0/common-1.2.0.tgz')).status).toBe(404);
      expect((await request(backend.server).get('/api/backpack/helm/charts/web/3.1.0/web-3.1.0.tgz')).status).toBe(200);
    } finally {
      readDecision = { result: AuthorizeResult.ALLOW };
    }
  });

  it('carries the charts in a bundle as a static chart repository, served by a plain web server', async () => {
    const created = await request(backend.server).post('/api/backpack/exports').send({});
    expect(created.status).toBe(202);
    await waitFor(`export ${created.body.id}`, async () => {
      const res = await request(backend.server).get(`/api/backpack/exports/${created.body.id}`);
      if (res.body.status === 'failed') throw new Error(`export failed: ${res.body.error}`);
      return res.body.status === 'succeeded';
    }, patient);
    const directory = path.join(work, 'bundle');
    const manifest = await downloadExport(backend.server, created.body.id, directory);
    expect((await runVerify(directory)).code).toBe(0);
    const root = path.join(work, 'unpacked');
    await unpackBundle(directory, manifest, root);
    expect(manifest.files.map(f => f.path).filter(p => p.startsWith('helm/')).sort()).toEqual([
      'helm/stable/index.yaml',
      'helm/charts/common/1.2.0/common-1.2.0.tgz',
      'helm/charts/common/1.2.0/common-1.2.0.tgz.prov',
      'helm/charts/web/3.1.0/web-3.1.0.tgz',
    ].sort());

    const server = await startStaticServer(root);
    try {
      const repositoryUrl = `${server.url}helm/stable`;
      const index = parse(await (await fetch(`${repositoryUrl}/index.yaml`)).text()) as IndexYaml;
      expect(Object.keys(index.entries).sort()).toEqual(['common', 'web']);
      for (const [chart, entries] of Object.entries(index.entries)) {
        for (const entry of entries) {
          const bytes = Buffer.from(await (await fetch(resolveChartUrl(repositoryUrl, entry.urls[0]))).arrayBuffer());
          expect(sha256Hex(bytes)).toBe(entry.digest);
          expect(entry.digest).toBe(sha256Hex(archives[`${chart}-${entry.version}`]));
        }
      }
      // The images travel in the same bundle as an OCI image layout.
      const layout = JSON.parse(await fs.readFile(path.join(root, 'oci', 'index.json'), 'utf8'));
      const refs = layout.manifests.map((m: { annotations: Record<string, string> }) => m.annotations['org.opencontainers.image.ref.name']);
      expect(refs).toEqual(expect.arrayContaining(['local/team/web:1.0.0', 'local/team/worker:2.0.0', 'local/charts/cache:1.0.0']));
    } finally {
      await server.stop();
    }
  });
});
