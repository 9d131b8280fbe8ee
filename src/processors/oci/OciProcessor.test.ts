import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import { FakeOciRegistry } from '../../__testUtils__/fakeOciRegistry';
import { buildImage, buildSignature, ociObject, OCI, signatureTag } from '../../__testUtils__/ociImages';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { BackpackProcessor, ProcessorFile } from '../types';
import { createOciProcessor } from './OciProcessor';

const logger = mockServices.logger.mock();
const image = buildImage('app');
const signature = buildSignature(image.root);

function processorFor(registry: FakeOciRegistry, extra: JsonObject = {}): BackpackProcessor {
  return createOciProcessor({
    config: new ConfigReader({ registries: { local: { url: registry.url } }, ...extra }),
    upstream: new UpstreamClient({ retries: 0 }),
  });
}

const describe_ = (p: BackpackProcessor, version: string, config: JsonObject = {}, id = 'local/team/app') =>
  p.describeVersion!({ id, config, version }, { logger });

const byName = (files: ProcessorFile[]) => Object.fromEntries(files.map(f => [f.name, f]));

describe('the OCI processor', () => {
  let registry: FakeOciRegistry;

  beforeEach(async () => {
    registry = await FakeOciRegistry.start({ pageSize: 2 });
    registry.push('team/app', '1.0.0', image).push('team/app', '1.1.0', buildImage('app', { salt: '1.1' }));
    registry.push('team/app', 'latest', image).push('team/app', signatureTag(image.root), signature);
  });

  afterEach(() => registry.close());

  it('names images <alias>/<path>, with Docker Hub short names as docker spells them', () => {
    const p = processorFor(registry);
    expect(p.normalizeId!('local/team/app')).toBe('local/team/app');
    expect(p.normalizeId!('nginx')).toBe('docker.io/library/nginx');
    expect(p.normalizeId!('bitnami/redis')).toBe('docker.io/bitnami/redis');
    expect(p.normalizeId!('index.docker.io/library/nginx')).toBe('docker.io/library/nginx');
    for (const bad of ['nginx:1.25', `nginx@sha256:${'a'.repeat(64)}`, 'gcr.io/x/y', 'localhost:5000/app', 'local/Team', 'local/a//b', 'local/../x']) {
      expect(() => p.normalizeId!(bad)).toThrow(/^id: /);
    }
  });

  it('lists tags page by page as versions, leaving out the tags that name signatures', async () => {
    const result = await processorFor(registry).discover({ id: 'local/team/app', config: {} }, { logger });
    expect(result.notModified).toBe(false);
    if (result.notModified) return;
    expect(result.versions.map(v => v.version).sort()).toEqual(['1.0.0', '1.1.0', 'latest']);
    expect(registry.requests.filter(r => r.path.includes('tags/list'))).toHaveLength(2);
  });

  it("describes a tag as its closure: index, both platforms, blobs once, and the signature by the tag scheme", async () => {
    const p = processorFor(registry);
    await p.discover({ id: 'local/team/app', config: {} }, { logger });
    const { files } = await describe_(p, '1.0.0');
    const names = byName(files);
    const objects = [...image.manifests, ...image.blobs, ...signature.manifests, ...signature.blobs];
    const expected = [
      'tag:1.0.0',
      `tag:${signatureTag(image.root)}`,
      ...image.manifests.map(m => `manifest:${m.digest}`),
      ...signature.manifests.map(m => `manifest:${m.digest}`),
      ...[...image.blobs, ...signature.blobs].map(b => `blob:${b.digest}`),
    ];
    expect(Object.keys(names).sort()).toEqual(expected.sort());
    for (const file of files) {
      const object = objects.find(o => file.integrity!.digest === o.digest.slice(7))!;
      expect(file).toMatchObject({ contentAddressed: true, size: object.bytes.length, path: `blobs/sha256/${object.digest.slice(7)}` });
    }
    expect(names['tag:1.0.0'].integrity!.digest).toBe(image.root.digest.slice(7));
    expect(names[`manifest:${image.root.digest}`].uri).toBe(`${registry.url}/v2/team/app/manifests/${image.root.digest}`);
  });

  it('finds referrers through the referrers API, and pins a digest no tag names', async () => {
    const referrersRegistry = await FakeOciRegistry.start({ referrersApi: true });
    try {
      const sbom = buildSignature(image.root, { asReferrer: true });
      referrersRegistry.push('team/app', undefined, image).pushReferrer('team/app', image.root, sbom);
      const p = processorFor(referrersRegistry);
      const { version, files } = await describe_(p, image.root.digest);
      expect(version).toBe(image.root.digest);
      expect(byName(files)[`manifest:${sbom.root.digest}`]).toBeDefined();
      expect(Object.keys(byName(files)).filter(n => n.startsWith('tag:'))).toEqual([]);
    } finally {
      await referrersRegistry.close();
    }
  });

  it('narrows an index to the configured platforms and parks non-distributable layers unless asked for them', async () => {
    const foreign = buildImage('win', { foreignLayer: true });
    registry.push('team/win', '1', foreign);
    const p = processorFor(registry);
    const narrowed = await describe_(p, '1', { platforms: ['linux/arm64'], referrers: false }, 'local/team/win');
    expect(narrowed.files.filter(f => f.name.startsWith('manifest:'))).toHaveLength(2);
    const all = await describe_(p, '1', { referrers: false }, 'local/team/win');
    const skipped = all.files.filter(f => f.skipped);
    expect(skipped).toHaveLength(1);
    expect(skipped[0].skipped).toMatch(/^non-distributable layer \(application\/vnd\.oci\.image\.layer\.nondistributable\.v1\.tar\+gzip\)/);
    expect(skipped[0].uri).toMatch(/^https:\/\/foreign\.example\//);
    const included = await describe_(p, '1', { referrers: false, includeForeignLayers: true }, 'local/team/win');
    expect(included.files.filter(f => f.skipped)).toEqual([]);
  });

  it('refuses a manifest whose bytes are not its digest, a served digest that lies, and one over the size cap', async () => {
    const p = processorFor(registry, { maxManifestBytes: 100_000 });
    const platform = image.manifests[1];
    registry.override(`/v2/team/app/manifests/${platform.digest}`, (_req, res) => {
      res.writeHead(200, { 'content-type': OCI.manifest }).end(Buffer.concat([platform.bytes, Buffer.from(' ')]));
    });
    await expect(describe_(p, '1.0.0', { referrers: false })).rejects.toThrow(/manifest bytes have digest sha256:[0-9a-f]{64}, not/);

    registry.override('/v2/team/app/manifests/latest', (_req, res) => {
      res.writeHead(200, { 'content-type': OCI.index, 'docker-content-digest': platform.digest }).end(image.root.bytes);
    });
    await expect(describe_(p, 'latest', { referrers: false })).rejects.toThrow(/is served as sha256:.* but its bytes are/);

    const huge = ociObject(OCI.index, JSON.stringify({ schemaVersion: 2, mediaType: OCI.index, manifests: [], pad: 'x'.repeat(200_000) }));
    registry.push('team/app', 'huge', { root: huge, manifests: [huge], blobs: [] });
    await expect(describe_(p, 'huge', { referrers: false })).rejects.toThrow(/larger than 100000 bytes \(backpack\.processors\.oci\.maxManifestBytes\)/);
  });

  it('refuses a tag list whose next page leaves the listing, and a closure over its object cap', async () => {
    registry.override('/v2/team/app/tags/list', (_req, res) => {
      res.writeHead(200, { link: '<http://127.0.0.2:1/v2/team/app/tags/list?last=x>; rel="next"' });
      res.end(JSON.stringify({ tags: ['1.0.0'] }));
    });
    await expect(processorFor(registry).discover({ id: 'local/team/app', config: {} }, { logger })).rejects.toThrow(
      /the next page of tags is not this repository's listing/,
    );
    await expect(describe_(processorFor(registry, { maxObjectsPerVersion: 4 }), '1.0.0', { referrers: false })).rejects.toThrow(
      /more than 4 manifests and blobs/,
    );
  });

  it('answers a missing image or tag as not found', async () => {
    const p = processorFor(registry);
    await expect(p.discover({ id: 'local/team/none', config: {} }, { logger })).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(describe_(p, 'nope', { referrers: false })).rejects.toMatchObject({ name: 'NotFoundError' });
  });
});
