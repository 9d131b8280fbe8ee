import { TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { ServeTestBackend, startServeBackend, STATIC_TOKEN } from '../../__testUtils__/serveBackend';
import { TerraformRegistry } from '../../__testUtils__/terraformRegistry';
import { waitFor } from '../../__testUtils__/waitFor';

// What the gate refuses, through a whole mirror run against a provider
// registry served by the test: checksums signed with a key the registry
// does not publish fail the version before anything is queued, and a zip
// whose bytes are not the ones the signed checksums name is never stored.

const HOST = 'registry.example.test';
const auth = { Authorization: `Bearer ${STATIC_TOKEN}` };
const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('terraform: tampered releases are refused (%s)', databaseId => {
  let registry: TerraformRegistry;
  let backend: ServeTestBackend;

  beforeAll(async () => {
    registry = await TerraformRegistry.start([
      { namespace: 'acme', type: 'forged', version: '1.0.0' },
      { namespace: 'acme', type: 'swapped', version: '1.0.0' },
    ]);
    await registry.signWithOtherKey('forged', '1.0.0');
    registry.tamperZip('swapped', '1.0.0', 'linux_amd64');
    backend = await startServeBackend(
      {
        processors: { terraform: { registries: [{ host: HOST, url: registry.url }] } },
        allowedHosts: [new URL(registry.url).host],
      },
      { knex: await databases.init(databaseId) },
    );
  });

  afterAll(async () => {
    await backend?.stop();
    await registry?.close();
  });

  const files = async (type: string) => {
    const res = await request(backend.server)
      .get(`/api/backpack/artifacts/terraform/${encodeURIComponent(`${HOST}/acme/${type}`)}/versions/1.0.0/files`)
      .set(auth);
    return res.status === 200 ? (res.body.items as Array<Record<string, any>>) : [];
  };

  it('fails a version whose SHA256SUMS signature does not verify, naming why, and collects none of it', async () => {
    await expect(backend.addRoot({ processor: 'terraform', id: `${HOST}/acme/forged` })).rejects.toThrow(
      /1\.0\.0 could not be described: the signature of SHA256SUMS does not verify with the published keys/,
    );
    await backend.waitForCollection();
    expect(await files('forged')).toEqual([]);
    expect(registry.server.requestsTo('/releases/forged/1.0.0/terraform-provider-forged_1.0.0_linux_amd64.zip')).toEqual([]);
  });

  it('refuses a zip whose bytes differ from the signed checksum, storing the checksums only', async () => {
    await backend.addRoot({ processor: 'terraform', id: `${HOST}/acme/swapped` }, { allowPartial: true });
    // Failed once, retried, then parked: wait for the outcome, not only for the queue.
    const byName = await waitFor('the swapped zip to be parked', async () => {
      const listed = Object.fromEntries((await files('swapped')).map(f => [f.name, f]));
      return listed['terraform-provider-swapped_1.0.0_linux_amd64.zip']?.status === 'parked' && listed;
    });
    expect(byName['terraform-provider-swapped_1.0.0_linux_amd64.zip'].error).toMatch(/sha256|digest|integrity/i);
    expect(byName['terraform-provider-swapped_1.0.0_SHA256SUMS']).toMatchObject({ status: 'collected' });
    const view = await request(backend.server).get(`/api/backpack/terraform/${HOST}/acme/swapped/index.json`).set(auth);
    expect(view.status).toBe(404);
  });
});
