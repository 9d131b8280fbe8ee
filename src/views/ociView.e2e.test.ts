import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { binaryBody } from '../__testUtils__/api';
import { FakeOciRegistry } from '../__testUtils__/fakeOciRegistry';
import { buildImage, buildSignature, signatureTag, TestImage, writeOciLayout } from '../__testUtils__/ociImages';
import {
  hasOciTools,
  pushLayout,
  skopeo,
  startDockerRegistry,
  startTokenRegistry,
  TestDockerRegistry,
  TokenRegistry,
} from '../__testUtils__/ociRegistry';
import { ServeTestBackend, startServeBackend, STATIC_TOKEN } from '../__testUtils__/serveBackend';

// Acceptance test of the oci processor and the /v2/ view (issue 12): images
// built here (a two-platform index sharing a layer, and a cosign-style
// signature) pushed with skopeo into the real distribution registry, mirrored
// directly and through a token-auth front whose blobs sit on a CDN, the
// registry stopped, then skopeo copies them from the mirror.
//
// Needs Debian's docker-registry and skopeo: CI installs them (.ci/run); a
// developer machine without them skips this suite.
const suite = hasOciTools() ? describe : describe.skip;

jest.setTimeout(240_000);

const auth = { Authorization: `Bearer ${STATIC_TOKEN}` };
const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

suite('the OCI view with skopeo', () => {
  let registry: TestDockerRegistry | undefined;
  let tokenFront: TokenRegistry | undefined;
  let referrers: FakeOciRegistry | undefined;
  let backend: ServeTestBackend;
  let work: string;
  let mirror: string;
  const image = buildImage('app');
  const signature = buildSignature(image.root);
  const other = buildImage('other', { salt: '2' });
  // Blobs of its own, so that they are downloaded through the token front.
  const secret = buildImage('secret', { salt: 's' });
  const sbom = buildSignature(other.root, { asReferrer: true });

  const skopeoFromMirror = (...args: string[]) => skopeo(args);

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-oci-view-'));
    const layout = path.join(work, 'layout');
    await writeOciLayout(layout, [
      { tag: '1.0.0', image },
      { tag: signatureTag(image.root), image: signature },
      { tag: '2.0.0', image: other },
      { tag: 'secret', image: secret },
    ]);
    registry = await startDockerRegistry();
    for (const tag of ['1.0.0', signatureTag(image.root), '2.0.0']) {
      await pushLayout(layout, tag, registry.host, 'team/app');
    }
    await pushLayout(layout, 'secret', registry.host, 'team/secret');
    tokenFront = await startTokenRegistry(registry.url, { username: 'robot', password: 'pull-secret' });
    referrers = await FakeOciRegistry.start({ referrersApi: true });
    referrers.push('team/other', '2.0.0', other).pushReferrer('team/other', other.root, sbom);

    backend = await startServeBackend({
      processors: {
        oci: {
          registries: {
            local: { url: registry.url },
            // Its CDN is another origin: allowed, but never given the credentials.
            secure: { url: tokenFront.url, username: 'robot', password: 'pull-secret', hosts: [tokenFront.cdnHost] },
            fake: { url: referrers.url },
          },
        },
      },
    });
    await backend.addRoot({ processor: 'oci', id: 'local/team/app', filter: '>=1.0.0' });
    await backend.addRoot({ processor: 'oci', id: 'secure/team/secret' });
    await backend.addRoot({ processor: 'oci', id: 'fake/team/other', filter: other.root.digest });
    const counts = await backend.waitForCollection();
    if (counts.parked) throw new Error(`${counts.parked} files parked while mirroring`);
    await registry.stop();
    registry = undefined;
    await tokenFront.close();
    await referrers.close();
    mirror = new URL(backend.baseUrl).host;
  });

  afterAll(async () => {
    await backend?.stop();
    await registry?.stop();
    await tokenFront?.close().catch(() => {});
    await referrers?.close().catch(() => {});
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  /** Copies every platform from the mirror into a layout and checks each object against its digest. */
  async function expectCopiedFromMirror(name: string, reference: string, expected: TestImage) {
    const target = path.join(work, `copy-${name.replace(/\W/g, '-')}`);
    await skopeoFromMirror(
      'copy', '--all', '--src-tls-verify=false', '--src-creds', `token:${STATIC_TOKEN}`,
      `docker://${mirror}/${name}${reference}`, `oci:${target}:copied`,
    );
    const index = JSON.parse(await fs.readFile(path.join(target, 'index.json'), 'utf8'));
    expect(index.manifests.map((m: { digest: string }) => m.digest)).toEqual([expected.root.digest]);
    const stored = await fs.readdir(path.join(target, 'blobs', 'sha256'));
    for (const object of [...expected.manifests, ...expected.blobs]) {
      expect(stored).toContain(object.digest.slice(7));
      const bytes = await fs.readFile(path.join(target, 'blobs', 'sha256', object.digest.slice(7)));
      expect(sha256(bytes)).toBe(object.digest);
    }
  }

  it('serves the mirrored index to skopeo copy --all with the upstream stopped: same digest, both platforms verified', async () => {
    await expectCopiedFromMirror('local/team/app', ':1.0.0', image);
  });

  it('serves an image mirrored through the token flow, whose blobs came from a CDN that never saw credentials', async () => {
    await expectCopiedFromMirror('secure/team/secret', ':secret', secret);
    expect(tokenFront!.tokensIssued.length).toBeGreaterThan(0);
    expect(tokenFront!.cdnAuthorizations.length).toBeGreaterThan(0);
    expect(tokenFront!.cdnAuthorizations.every(header => header === undefined)).toBe(true);
  });

  it('answers skopeo inspect, and refuses a wrong token with the challenge clients expect', async () => {
    const raw = await skopeoFromMirror(
      'inspect', '--raw', '--tls-verify=false', '--creds', `token:${STATIC_TOKEN}`, `docker://${mirror}/local/team/app:1.0.0`,
    );
    expect(sha256(Buffer.from(raw))).toBe(image.root.digest);
    const inspected = JSON.parse(
      await skopeoFromMirror(
        'inspect', '--tls-verify=false', '--creds', `token:${STATIC_TOKEN}`, '--override-arch', 'arm64',
        `docker://${mirror}/local/team/app:1.0.0`,
      ),
    );
    expect(inspected.Architecture).toBe('arm64');
    await expect(
      skopeoFromMirror('inspect', '--raw', '--tls-verify=false', '--creds', 'token:wrong', `docker://${mirror}/local/team/app:1.0.0`),
    ).rejects.toThrow(/unauthorized|401/i);
    const challenged = await request(backend.server).get('/v2/');
    expect(challenged.status).toBe(401);
    expect(challenged.headers['www-authenticate']).toBe('Basic realm="Backpack"');
  });

  it('answers manifests and blobs with the headers clients read, ranges, tags and referrers', async () => {
    const v2 = (p: string) => request(backend.server).get(`/v2/local/team/app/${p}`).set(auth);
    const head = await request(backend.server).head('/v2/local/team/app/manifests/1.0.0').set(auth);
    expect(head.status).toBe(200);
    expect(head.headers).toMatchObject({
      'content-type': 'application/vnd.oci.image.index.v1+json',
      'docker-content-digest': image.root.digest,
      'content-length': String(image.root.bytes.length),
    });
    const layer = image.blobs[1];
    const range = await v2(`blobs/${layer.digest}`).set('Range', 'bytes=2-9').buffer(true).parse(binaryBody);
    expect(range.status).toBe(206);
    expect(range.headers['content-range']).toBe(`bytes 2-9/${layer.bytes.length}`);
    expect(range.body).toEqual(layer.bytes.subarray(2, 10));
    expect((await v2(`blobs/sha256:${'0'.repeat(64)}`)).status).toBe(404);
    expect((await v2('manifests/9.9.9')).status).toBe(404);
    const tags = await v2('tags/list?n=1');
    expect(tags.body).toEqual({ name: 'local/team/app', tags: ['1.0.0'] });
    expect(tags.headers.link).toBe(`</v2/local/team/app/tags/list?n=1&last=1.0.0>; rel="next"`);
    expect((await v2('tags/list?last=1.0.0')).body.tags).toEqual(['2.0.0', signatureTag(image.root)]);
    const referred = await request(backend.server).get(`/v2/fake/team/other/referrers/${other.root.digest}`).set(auth);
    expect(referred.body.manifests.map((m: { digest: string }) => m.digest)).toEqual([sbom.root.digest]);
  });

  it('stores each blob once, however many images list it', async () => {
    // `other` is listed by two artifacts: one key, one object.
    const keysOf = async (id: string, version: string) => {
      const res = await request(backend.server)
        .get(`/api/backpack/artifacts/oci/${encodeURIComponent(id)}/versions/${encodeURIComponent(version)}/files?limit=100`)
        .set(auth);
      expect(res.status).toBe(200);
      return res.body.items.map((f: { storageKey: string }) => f.storageKey).sort();
    };
    const shared = await keysOf('fake/team/other', other.root.digest);
    const both = (await keysOf('local/team/app', '2.0.0')).filter((k: string) => shared.includes(k));
    expect(new Set(both).size).toBe(other.manifests.length + other.blobs.length);
    const files = await fs.readdir(path.join(backend.storage, 'blobs', 'sha256'));
    const objects = new Set(
      [image, signature, other, sbom, secret].flatMap(i => [...i.manifests, ...i.blobs]).map(o => o.digest.slice(7)),
    );
    expect(new Set(files)).toEqual(objects);
  });
});
