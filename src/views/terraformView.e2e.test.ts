import { createHash } from 'node:crypto';
import request from 'supertest';
import {
  describeWithTerraformAndTls,
  lockedHashes,
  startTlsFront,
  terraformInit,
} from '../__testUtils__/terraformCli';
import {
  expectedPackageH1,
  providerPackageEntries,
  TerraformRegistry,
} from '../__testUtils__/terraformRegistry';
import { binaryBody } from '../__testUtils__/api';
import { STATIC_TOKEN } from '../__testUtils__/serveBackend';
import { mirrorThenStopUpstream } from './__testUtils__/offlineMirror';

// Acceptance test of the Terraform view (issue "Terraform providers, …"):
// providers generated here, published by a provider registry the test
// serves (service discovery, versions, download endpoints, zips, SHA256SUMS
// signed with a key the test makes), mirrored, the registry stopped; then
// the network mirror protocol's documents are checked against the
// protocol and hashes worked out independently, and the real Terraform CLI
// installs from the view through an https front (network mirrors must be
// https). Terraform is not installable from Debian: that part is skipped
// where it is missing.

const HOST = 'registry.example.test';
const auth = { Authorization: `Bearer ${STATIC_TOKEN}` };
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const zipName = (version: string, platform: string) => `terraform-provider-widget_${version}_${platform}.zip`;

describe('Terraform provider network mirror view', () => {
  let registry: TerraformRegistry;

  const mirror = mirrorThenStopUpstream({
    async startUpstream() {
      registry = await TerraformRegistry.start([
        { namespace: 'acme', type: 'widget', version: '1.0.0', platforms: ['linux_amd64', 'darwin_arm64'] },
        { namespace: 'acme', type: 'widget', version: '1.4.2', platforms: ['linux_amd64', 'darwin_arm64', 'windows_amd64'] },
        { namespace: 'acme', type: 'widget', version: '2.0.0', platforms: ['linux_amd64'] },
      ]);
      return { url: registry.url, stop: () => registry.close() };
    },
    processors: upstream => ({
      terraform: { registries: [{ host: HOST, url: upstream.url }], platforms: ['linux_amd64', 'darwin_arm64'] },
    }),
    roots: [{ processor: 'terraform', id: `${HOST}/acme/widget`, filter: '~> 1.0' }],
  });

  const get = (path: string) => request(mirror.backend.server).get(`/api/backpack/terraform${path}`).set(auth);

  it('collected each selected version for each configured platform, with the signed checksums', () => {
    // 1.0.0 and 1.4.2 (~> 1.0), two platforms each (windows_amd64 is not configured), plus SHA256SUMS and .sig each.
    expect(mirror.counts).toEqual({ collected: 8 });
  });

  it('lists the mirrored versions in index.json, whatever the address case', async () => {
    const res = await get(`/${HOST}/Acme/WIDGET/index.json`);
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(res.body).toEqual({ versions: { '1.0.0': {}, '1.4.2': {} } });
  });

  it('describes a version: an archive per platform, a relative URL, and zh: and h1: hashes', async () => {
    const res = await get(`/${HOST}/acme/widget/1.4.2.json`);
    expect(res.status).toBe(200);
    const archive = (platform: string) => ({
      // Terraform sends no credentials for archives: they are linked time-limited and signed.
      url: expect.stringMatching(new RegExp(`^archives/\\d+/[A-Za-z0-9_-]{43}/${zipName('1.4.2', platform)}$`)),
      hashes: [
        `zh:${sha256(registry.zips.get(zipName('1.4.2', platform))!)}`,
        expectedPackageH1(providerPackageEntries('widget', '1.4.2', platform)),
      ],
    });
    expect(res.body).toEqual({ archives: { darwin_arm64: archive('darwin_arm64'), linux_amd64: archive('linux_amd64') } });
  });

  const bytes = (req: request.Test) => req.buffer(true).parse(binaryBody);

  it('serves the package beside the version document, byte for byte, with credentials or by its link', async () => {
    const zip = registry.zips.get(zipName('1.0.0', 'darwin_arm64'))!;
    const res = await bytes(get(`/${HOST}/acme/widget/${zipName('1.0.0', 'darwin_arm64')}`));
    expect(res.status).toBe(200);
    expect(res.headers['x-backpack-verified']).toBe('true');
    expect(Buffer.compare(res.body, zip)).toBe(0);
    const { url } = (await get(`/${HOST}/acme/widget/1.0.0.json`)).body.archives.darwin_arm64;
    const anonymous = (path: string) => request(mirror.backend.server).get(`/api/backpack/terraform/${HOST}/acme/widget/${path}`);
    const linked = await bytes(anonymous(url));
    expect(linked.status).toBe(200);
    expect(Buffer.compare(linked.body, zip)).toBe(0);
    // A link is good for its package only, and not once its signature or expiry is changed.
    const [, expires, signature] = url.split('/');
    expect((await anonymous(`archives/${expires}/${signature}/${zipName('1.0.0', 'linux_amd64')}`)).status).toBe(403);
    expect((await anonymous(`archives/${Number(expires) + 1}/${signature}/${zipName('1.0.0', 'darwin_arm64')}`)).status).toBe(403);
    expect((await anonymous(`archives/1/${signature}/${zipName('1.0.0', 'darwin_arm64')}`)).status).toBe(403);
  });

  it('answers 404 for what is not mirrored and 401 without credentials', async () => {
    expect((await get(`/${HOST}/acme/widget/2.0.0.json`)).status).toBe(404);
    expect((await get(`/${HOST}/acme/widget/${zipName('2.0.0', 'linux_amd64')}`)).status).toBe(404);
    expect((await get(`/${HOST}/acme/widget/${zipName('1.4.2', 'windows_amd64')}`)).status).toBe(404);
    expect((await get(`/${HOST}/acme/widget/terraform-provider-widget_1.0.0_SHA256SUMS`)).status).toBe(404);
    expect((await get(`/${HOST}/acme/other/index.json`)).status).toBe(404);
    expect((await get(`/${HOST}/acme/..%2F..%2Fx/index.json`)).status).toBe(404);
    const anonymous = await request(mirror.backend.server).get(`/api/backpack/terraform/${HOST}/acme/widget/index.json`);
    expect(anonymous.status).toBe(401);
  });

  describeWithTerraformAndTls('with the real Terraform CLI', () => {
    it('installs the provider from the view as a network_mirror, with the token in a credentials block', async () => {
      const origin = new URL(mirror.backend.baseUrl).origin;
      const front = await startTlsFront(origin, mirror.work);
      try {
        const host = new URL(front.origin).host;
        const { lockFile } = await terraformInit({
          work: mirror.work,
          source: `${HOST}/acme/widget`,
          version: '~> 1.0',
          cliConfig: [
            `provider_installation {\n  network_mirror {\n    url = "${front.origin}/api/backpack/terraform/"\n  }\n}`,
            `credentials "${host}" {\n  token = "${STATIC_TOKEN}"\n}`,
          ].join('\n'),
          env: { SSL_CERT_FILE: front.caFile },
        });
        // Terraform picked 1.4.2, checked the package against the mirror's hashes, and locked the
        // h1: of what it installed, which it works out itself: the same as the view's and the test's.
        expect(lockFile).toContain('version     = "1.4.2"');
        expect(lockedHashes(lockFile, `${HOST}/acme/widget`)).toEqual([
          expectedPackageH1(providerPackageEntries('widget', '1.4.2', 'linux_amd64')),
        ]);
      } finally {
        await front.close();
      }
    });
  });
});
