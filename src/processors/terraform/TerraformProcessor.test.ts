import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { createHash } from 'node:crypto';
import { TerraformRegistry } from '../../__testUtils__/terraformRegistry';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { fresh } from '../__testUtils__/discoveryResults';
import { BackpackProcessor } from '../types';
import { createTerraformProcessor } from './TerraformProcessor';

const logger = mockServices.logger.mock();
const HOST = 'registry.example.test';
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('createTerraformProcessor', () => {
  let registry: TerraformRegistry;
  let terraform: BackpackProcessor;

  beforeAll(async () => {
    registry = await TerraformRegistry.start([
      { namespace: 'acme', type: 'widget', version: '1.0.0', platforms: ['linux_amd64', 'darwin_arm64'] },
      { namespace: 'acme', type: 'widget', version: '1.1.0', platforms: ['linux_amd64', 'linux_arm64'] },
      { namespace: 'acme', type: 'widget', version: '2.0.0', platforms: ['windows_amd64'] },
      { namespace: 'acme', type: 'forged', version: '1.0.0' },
      { namespace: 'acme', type: 'mismatch', version: '1.0.0' },
      { namespace: 'acme', type: 'elsewhere', version: '1.0.0' },
    ]);
    await registry.signWithOtherKey('forged', '1.0.0');
    // The download endpoint names a digest the signed checksums do not.
    const path = '/v1/providers/acme/mismatch/1.0.0/download/linux/amd64';
    const doc = await fetch(`${registry.url}${path}`).then(r => r.json());
    registry.server.set(path, JSON.stringify({ ...doc, shasum: '0'.repeat(64) }));
    // A package on a host nobody allowed.
    const elsewhere = '/v1/providers/acme/elsewhere/1.0.0/download/linux/amd64';
    const other = await fetch(`${registry.url}${elsewhere}`).then(r => r.json());
    registry.server.set(elsewhere, JSON.stringify({ ...other, download_url: 'https://downloads.elsewhere.test/x.zip' }));
  });

  afterAll(async () => {
    await registry.close();
  });

  beforeEach(() => {
    terraform = createTerraformProcessor({
      config: new ConfigReader({ registries: [{ host: HOST, url: registry.url }] }),
      upstream: new UpstreamClient({ retries: 0 }),
    });
  });

  it('lists the versions built for a configured platform, from the registry found by service discovery', async () => {
    const id = `${HOST}/acme/widget`;
    const result = fresh(await terraform.discover({ id, config: {} }, { logger }));
    expect(result.versions.map(v => v.version)).toEqual(['1.0.0', '1.1.0']);
    const windows = fresh(await terraform.discover({ id, config: { platforms: ['windows_amd64'] } }, { logger }));
    expect(windows.versions.map(v => v.version)).toEqual(['2.0.0']);
    expect(registry.server.requestsTo('/.well-known/terraform.json').length).toBe(1);
  });

  it('describes a version: a zip per platform verified by the signed SHA256SUMS, and the sums and signature', async () => {
    const id = `${HOST}/acme/widget`;
    const described = await terraform.describeVersion!(
      { id, config: { platforms: ['linux_amd64', 'darwin_arm64', 'linux_arm64'] }, version: '1.0.0' },
      { logger },
    );
    const sums = await fetch(`${registry.url}/releases/widget/1.0.0/terraform-provider-widget_1.0.0_SHA256SUMS`).then(
      async r => Buffer.from(await r.arrayBuffer()),
    );
    expect(described.dependencies).toEqual([]);
    expect(described.files.map(f => [f.name, f.uri.replace(registry.url, ''), f.integrity?.digest])).toEqual([
      [
        'terraform-provider-widget_1.0.0_linux_amd64.zip',
        '/releases/widget/1.0.0/terraform-provider-widget_1.0.0_linux_amd64.zip',
        sha256(registry.zips.get('terraform-provider-widget_1.0.0_linux_amd64.zip')!),
      ],
      [
        'terraform-provider-widget_1.0.0_darwin_arm64.zip',
        '/releases/widget/1.0.0/terraform-provider-widget_1.0.0_darwin_arm64.zip',
        sha256(registry.zips.get('terraform-provider-widget_1.0.0_darwin_arm64.zip')!),
      ],
      [
        'terraform-provider-widget_1.0.0_SHA256SUMS',
        '/releases/widget/1.0.0/terraform-provider-widget_1.0.0_SHA256SUMS',
        sha256(sums),
      ],
      [
        'terraform-provider-widget_1.0.0_SHA256SUMS.sig',
        '/releases/widget/1.0.0/terraform-provider-widget_1.0.0_SHA256SUMS.sig',
        expect.stringMatching(/^[0-9a-f]{64}$/),
      ],
    ]);
    expect(described.files[0].path).toBe(`${id}/terraform-provider-widget_1.0.0_linux_amd64.zip`);
    // linux_arm64 was not built for 1.0.0: its download endpoint is never asked.
    expect(registry.server.requestsTo('/v1/providers/acme/widget/1.0.0/download/linux/arm64')).toEqual([]);
    // A release never changes: describing it again asks the registry nothing.
    const before = registry.server.requests.length;
    const again = await terraform.describeVersion!(
      { id, config: { platforms: ['darwin_arm64', 'linux_arm64', 'linux_amd64'] }, version: '1.0.0' },
      { logger },
    );
    expect(again).toEqual(described);
    expect(registry.server.requests.length).toBe(before);
  });

  it('fails a version whose checksums are signed by a key the registry does not publish', async () => {
    await expect(
      terraform.describeVersion!({ id: `${HOST}/acme/forged`, config: {}, version: '1.0.0' }, { logger }),
    ).rejects.toThrow(/signature of SHA256SUMS does not verify with the published keys/);
  });

  it('fails a version whose download endpoint disagrees with the signed checksums', async () => {
    await expect(
      terraform.describeVersion!({ id: `${HOST}/acme/mismatch`, config: {}, version: '1.0.0' }, { logger }),
    ).rejects.toThrow(/shasum of terraform-provider-mismatch_1.0.0_linux_amd64.zip differs from the signed SHA256SUMS/);
  });

  it('fails a version whose package lies on a host that is not allowed, naming the setting', async () => {
    await expect(
      terraform.describeVersion!({ id: `${HOST}/acme/elsewhere`, config: {}, version: '1.0.0' }, { logger }),
    ).rejects.toThrow(/downloads\.elsewhere\.test is not in the allowed hosts.*backpack\.processors\.terraform\.downloadHosts/);
  });

  it('fails a version whose SHA256SUMS is over the configured size, naming the setting', async () => {
    const small = createTerraformProcessor({
      config: new ConfigReader({ registries: [{ host: HOST, url: registry.url }], maxSumsBytes: 16 }),
      upstream: new UpstreamClient({ retries: 0 }),
    });
    await expect(
      small.describeVersion!({ id: `${HOST}/acme/widget`, config: {}, version: '1.1.0' }, { logger }),
    ).rejects.toThrow(/larger than 16 bytes \(backpack\.processors\.terraform\.maxSumsBytes\)/);
  });

  it("sends a private registry's token to its origin", async () => {
    const withToken = createTerraformProcessor({
      config: new ConfigReader({ registries: [{ host: HOST, url: registry.url, token: 'registry-token' }] }),
      upstream: new UpstreamClient({ retries: 0 }),
    });
    const before = registry.server.requests.length;
    await withToken.discover({ id: `${HOST}/acme/widget`, config: {} }, { logger });
    const sent = registry.server.requests.slice(before);
    expect(sent.map(r => r.path)).toEqual(['/.well-known/terraform.json', '/v1/providers/acme/widget/versions']);
    expect(sent.every(r => r.headers.authorization === 'Bearer registry-token')).toBe(true);
  });

  it('refuses ids, registries, platforms and versions that are not valid, naming the field', async () => {
    expect(terraform.normalizeId!(`${HOST.toUpperCase()}/Acme/Widget`)).toBe(`${HOST}/acme/widget`);
    expect(terraform.normalizeId!('registry.terraform.io/hashicorp/random')).toBe('registry.terraform.io/hashicorp/random');
    expect(() => terraform.normalizeId!('hashicorp/random')).toThrow(/id: 'hashicorp\/random' is not a provider address/);
    expect(() => terraform.normalizeId!(`${HOST}/../x`)).toThrow(InputError);
    expect(() => terraform.normalizeId!('registry.elsewhere.test/a/b')).toThrow(
      /the registry 'registry.elsewhere.test' is not configured/,
    );
    expect(terraform.configSchema.safeParse({ platforms: ['linux/amd64'] }).success).toBe(false);
    expect(terraform.configSchema.safeParse({ other: 1 }).success).toBe(false);
    await expect(
      terraform.describeVersion!({ id: `${HOST}/acme/widget`, config: {}, version: 'v1' }, { logger }),
    ).rejects.toThrow(InputError);
  });

  it('answers NotFoundError for unknown providers and versions', async () => {
    await expect(terraform.discover({ id: `${HOST}/acme/missing`, config: {} }, { logger })).rejects.toThrow(
      NotFoundError,
    );
    await expect(
      terraform.describeVersion!({ id: `${HOST}/acme/widget`, config: {}, version: '9.9.9' }, { logger }),
    ).rejects.toThrow(NotFoundError);
  });

  it('answers 304 discoveries as not modified', async () => {
    const first = fresh(await terraform.discover({ id: `${HOST}/acme/forged`, config: {} }, { logger }));
    const again = await terraform.discover(
      { id: `${HOST}/acme/forged`, config: {} },
      { logger, validators: first.validators },
    );
    expect(again).toEqual({ notModified: true });
  });

  it('reads its registries from config, refusing entries that are neither a host nor { host, url }', () => {
    const upstream = new UpstreamClient();
    expect(() =>
      createTerraformProcessor({ config: new ConfigReader({ registries: [{ url: 'https://x' }] }), upstream }),
    ).toThrow(/registries\[0\]: must be a host name or \{ host, url, token \}/);
    expect(() =>
      createTerraformProcessor({ config: new ConfigReader({ platforms: ['linux'] }), upstream }),
    ).toThrow(/platforms: must be <os>_<arch>/);
    const processor = createTerraformProcessor({
      config: new ConfigReader({ registries: ['tf.example.com'], downloadHosts: ['files.example.com'] }),
      upstream,
    });
    expect(processor.allowedHosts!()).toEqual(
      expect.arrayContaining(['tf.example.com', 'files.example.com', 'registry.terraform.io', 'releases.hashicorp.com']),
    );
  });
});
