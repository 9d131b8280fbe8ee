import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { BackpackBackend, startBackpackBackend, TestServer } from '../__testUtils__/backpackBackend';
import { FakeOciRegistry } from '../__testUtils__/fakeOciRegistry';
import { buildImage, buildSignature, signatureTag } from '../__testUtils__/ociImages';
import { hasOciTools, skopeo, startDockerRegistry, TestDockerRegistry } from '../__testUtils__/ociRegistry';
import { waitFor } from '../__testUtils__/waitFor';
import { downloadExport, runVerify, unpackBundle } from './__testUtils__/bundleFiles';
import { BundleManifest } from './manifest';

// The OCI side of a bundle: images mirrored, exported, checked with the
// verification command, unpacked, and loaded with skopeo from the bundle's
// OCI image layout into a fresh distribution registry; a delta carries only
// the objects the full bundle did not.
//
// Needs Debian's docker-registry and skopeo: CI installs them (.ci/run); a
// developer machine without them skips this suite.
const suite = hasOciTools() ? describe : describe.skip;

jest.setTimeout(240_000);

const sha256 = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const patient = { attempts: 1500, intervalMs: 100 };

async function settle(server: TestServer, runId: string) {
  await waitFor(`run ${runId}`, async () => {
    const res = await request(server).get(`/api/backpack/runs/${runId}`);
    if (['failed', 'partial'].includes(res.body.status)) throw new Error(`run ended ${res.body.status}: ${res.body.error}`);
    return res.body.status === 'succeeded';
  }, patient);
}

async function exportBundle(server: TestServer, body: object, directory: string): Promise<BundleManifest> {
  const created = await request(server).post('/api/backpack/exports').send(body);
  expect(created.status).toBe(202);
  await waitFor(`export ${created.body.id}`, async () => {
    const res = await request(server).get(`/api/backpack/exports/${created.body.id}`);
    if (res.body.status === 'failed') throw new Error(`export failed: ${res.body.error}`);
    return res.body.status === 'succeeded';
  }, patient);
  const manifest = await downloadExport(server, created.body.id, directory);
  return { ...manifest, id: created.body.id };
}

suite('a bundle as an OCI image layout', () => {
  let upstream: FakeOciRegistry | undefined;
  let fresh: TestDockerRegistry | undefined;
  let backend: BackpackBackend;
  let work: string;
  const v1 = buildImage('app');
  const signature = buildSignature(v1.root);
  // Shares everything with v1 but its index and a third platform.
  const v2 = buildImage('app', { architectures: ['amd64', 'arm64', 's390x'] });

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-oci-bundle-'));
    upstream = await FakeOciRegistry.start();
    upstream.push('team/app', '1.0.0', v1).push('team/app', signatureTag(v1.root), signature);
    backend = await startBackpackBackend({
      backpack: {
        processors: { oci: { registries: { up: { url: upstream.url } } } },
        exports: { partSizeBytes: 4096, settleSeconds: 1 },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await upstream?.close();
    await fresh?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('loads every mirrored tag into a fresh registry with skopeo, digests equal, and a delta carries only new objects', async () => {
    const created = await request(backend.server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'oci', id: 'up/team/app' });
    expect(created.status).toBe(201);
    await settle(backend.server, created.body.runId);

    const full = await exportBundle(backend.server, {}, path.join(work, 'full'));
    expect((await runVerify(path.join(work, 'full'))).code).toBe(0);
    const paths = full.files.map(f => f.path);
    expect(new Set(paths).size).toBe(paths.length);
    const objects = [...v1.manifests, ...v1.blobs, ...signature.manifests, ...signature.blobs];
    expect(paths.filter(p => p.startsWith('oci/blobs/')).sort()).toEqual(
      [...new Set(objects.map(o => `oci/blobs/sha256/${o.digest.slice(7)}`))].sort(),
    );

    upstream!.push('team/app', '2.0.0', v2);
    const run = await request(backend.server).post('/api/backpack/runs').send({});
    expect(run.status).toBe(202);
    await settle(backend.server, run.body.id);
    const delta = await exportBundle(backend.server, { since: full.id }, path.join(work, 'delta'));
    expect((await runVerify(path.join(work, 'delta'))).code).toBe(0);
    const newObjects = [...v2.manifests, ...v2.blobs].filter(o => !objects.some(old => old.digest === o.digest));
    expect(newObjects.length).toBeGreaterThan(0);
    expect(delta.files.map(f => f.path).filter(p => p.startsWith('oci/blobs/')).sort()).toEqual(
      newObjects.map(o => `oci/blobs/sha256/${o.digest.slice(7)}`).sort(),
    );

    // The far side: both bundles unpacked in order over one directory.
    await upstream!.close();
    upstream = undefined;
    const root = path.join(work, 'unpacked');
    await unpackBundle(path.join(work, 'full'), full, root);
    await unpackBundle(path.join(work, 'delta'), delta, root);
    const index = JSON.parse(await fs.readFile(path.join(root, 'oci', 'index.json'), 'utf8'));
    const refs = index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations['org.opencontainers.image.ref.name']);
    expect(refs).toEqual(['up/team/app:1.0.0', 'up/team/app:2.0.0', `up/team/app:${signatureTag(v1.root)}`]);

    fresh = await startDockerRegistry();
    const expected: Record<string, string> = { '1.0.0': v1.root.digest, '2.0.0': v2.root.digest, [signatureTag(v1.root)]: signature.root.digest };
    for (const [tag, digest] of Object.entries(expected)) {
      await skopeo([
        'copy', '--all', '--preserve-digests', '--dest-tls-verify=false',
        `oci:${path.join(root, 'oci')}:up/team/app:${tag}`, `docker://${fresh.host}/team/app:${tag}`,
      ]);
      const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${fresh.host}/team/app:${tag}`]);
      expect(sha256(raw)).toBe(digest);
    }
    const arm = JSON.parse(
      await skopeo(['inspect', '--tls-verify=false', '--override-arch', 's390x', `docker://${fresh.host}/team/app:2.0.0`]),
    );
    expect(arm.Architecture).toBe('s390x');
  });
});
