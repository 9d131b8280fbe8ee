import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { binaryBody, byName, filesOf } from '../__testUtils__/api';
import { BackpackBackend, startBackpackBackend } from '../__testUtils__/backpackBackend';
import { FakeGithubReleases, FakeRelease, sha256sums } from '../__testUtils__/fakeGithubReleases';
import { ALLOW, permissionsWithPolicy, processorsOnly } from '../__testUtils__/permissionPolicy';
import { backpackArtifactReadPermission } from '../permissions';
import { StaticRegistryServer } from '../__testUtils__/staticRegistryServer';
import { waitFor } from '../__testUtils__/waitFor';
import { downloadExport, runVerify, unpackBundle } from '../exports/__testUtils__/bundleFiles';

// Release assets and plain files mirrored by the whole plugin from a fake
// GitHub Enterprise-like API and a plain file server, served at
// /api/backpack/files/ and carried in a bundle at the same paths.

jest.setTimeout(120_000);

const TOKEN = 'ghe-releases-token-0123456789';
const bytes = (text: string) => Buffer.from(`${text}\n`);
const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');

const linux = { name: 'tool_2.0.0_Linux_x86_64.tar.gz', body: bytes('linux') };
const tampered = { name: 'tool_2.0.0_windows.zip', body: bytes('windows'), served: bytes('WINDOWS') }; // same size, other bytes
const spaced = { name: 'tool 2.0.0 manual.pdf', body: bytes('manual') };
const RELEASES: FakeRelease[] = [
  { tag: 'v2.1.0', draft: true, publishedAt: '2026-04-01T00:00:00Z', assets: [] },
  {
    tag: 'v2.0.0',
    publishedAt: '2026-03-01T00:00:00Z',
    assets: [linux, tampered, spaced, { name: 'SHA256SUMS', body: sha256sums([linux, tampered, spaced]) }],
  },
  {
    tag: 'v1.0.0',
    publishedAt: '2026-01-01T00:00:00Z',
    assets: [
      { name: 'tool.zip', body: bytes('one'), apiDigest: true },
      { name: 'notes.txt', body: bytes('no digest anywhere') },
    ],
  },
];

describe('release files and plain files', () => {
  let fake: FakeGithubReleases;
  let plain: StaticRegistryServer;
  let backend: BackpackBackend;
  let work: string;
  let decide = (_name: string) => ALLOW;

  const view = (url: string) => request(backend.server).get(`/api/backpack/files/${url}`).buffer(true).parse(binaryBody);

  async function mirror(body: object) {
    const created = await request(backend.server).post('/api/backpack/artifacts').send(body);
    expect(created.status).toBe(201);
    await backend.waitForRun(created.body.runId);
    await backend.waitForCollection();
  }

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-files-'));
    fake = await FakeGithubReleases.start({ owner: 'acme', repo: 'tool', releases: RELEASES, perPage: 1 });
    plain = await StaticRegistryServer.start();
    plain.set('/dl/1.0/cfg-1.0.tar', bytes('cfg 1.0'));
    plain.set('/dl/1.1/cfg-1.1.tar', bytes('cfg 1.1'));
    plain.set('/dl/1.1/SHA256SUMS', `${sha256(bytes('cfg 1.1'))}  cfg-1.1.tar\n`);
    plain.set('/dl/1.0/SHA256SUMS', `${sha256(bytes('cfg 1.0'))}  cfg-1.0.tar\n`);
    backend = await startBackpackBackend({
      backpack: {
        processors: {
          npm: { enabled: false },
          pypi: { enabled: false },
          maven: { enabled: false },
          'github-releases': { apiUrl: fake.apiUrl, downloadHosts: [fake.storage.url] },
        },
        allowedHosts: [new URL(plain.url).host],
        upstream: { retries: 0 },
        queue: { retryDelaysMs: [10], maxAttempts: 2 },
      },
      config: {
        // The token comes from the integration of the same API, as Backstage is configured.
        integrations: { github: [{ host: `127.0.0.1:${fake.api.port}`, apiBaseUrl: fake.apiUrl, token: TOKEN }] },
      },
      features: [permissionsWithPolicy(name => decide(name))],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await fake?.close();
    await plain?.close();
    await fs.rm(work, { recursive: true, force: true });
  });

  it('mirrors a repository\'s releases: verified assets collected, a tampered one parked, the token to the API only', async () => {
    await mirror({ processor: 'github-releases', id: 'Acme/Tool' });
    const v2 = byName(await filesOf(backend.server, 'github-releases', 'acme/tool', 'v2.0.0'));
    expect(Object.keys(v2).sort()).toEqual(['SHA256SUMS', linux.name, spaced.name, tampered.name].sort());
    expect(v2[linux.name]).toMatchObject({ status: 'collected', verified: true });
    expect(v2.SHA256SUMS).toMatchObject({ status: 'collected', verified: true });
    expect(v2[tampered.name]).toMatchObject({ status: 'parked', error: expect.stringMatching(/integrity|digest/i) });
    const v1 = byName(await filesOf(backend.server, 'github-releases', 'acme/tool', 'v1.0.0'));
    expect(v1['tool.zip']).toMatchObject({ status: 'collected', verified: true });
    // Neither a checksum line nor an API digest: the unverified-files policy (reject by default).
    expect(v1['notes.txt']).toMatchObject({ status: 'parked', verified: false, error: expect.stringContaining('declares no digest') });
    // Drafts are never versions.
    const versions = await request(backend.server).get('/api/backpack/artifacts/github-releases/acme%2Ftool/versions');
    expect(versions.body.items.map((v: { version: string }) => v.version).sort()).toEqual(['v1.0.0', 'v2.0.0']);

    const api = fake.requests('api');
    expect(api.length).toBeGreaterThan(0);
    expect(api.every(r => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const storage = fake.requests('storage');
    expect(storage.length).toBeGreaterThan(0);
    expect(storage.every(r => r.headers.authorization === undefined)).toBe(true);
    expect(JSON.stringify(storage.map(r => r.headers))).not.toContain(TOKEN);
  });

  it('serves collected release files at /files/github-releases/<owner>/<repo>/<tag>/<name>, never a parked one', async () => {
    const got = await view(`github-releases/acme/tool/v2.0.0/${linux.name}`);
    expect(got.status).toBe(200);
    expect(got.headers['x-backpack-verified']).toBe('true');
    expect(Buffer.compare(got.body, linux.body)).toBe(0);
    const manual = await view(`github-releases/Acme/Tool/v2.0.0/${encodeURIComponent(spaced.name)}`);
    expect(manual.status).toBe(200);
    expect(manual.body.toString()).toBe(spaced.body.toString());
    // The bundle's spelling of the same name.
    expect((await view('github-releases/acme/tool/v2.0.0/tool%25202.0.0%2520manual.pdf')).status).toBe(200);
    expect((await view(`github-releases/acme/tool/v2.0.0/${tampered.name}`)).status).toBe(404);
    expect((await view('github-releases/acme/tool/v9/x.zip')).status).toBe(404);
    expect((await view('github-releases/acme/v2.0.0/x.zip')).status).toBe(404);
    expect((await view('npm/acme/tool/v2.0.0/x.zip')).status).toBe(404);
  });

  it('refuses plain files from hosts outside backpack.allowedHosts with a 400 naming the field', async () => {
    for (const route of ['/api/backpack/artifacts', '/api/backpack/artifacts/preview']) {
      const refused = await request(backend.server)
        .post(route)
        .send({ processor: 'files', id: 'elsewhere', config: { files: [{ url: 'https://example.org/x.tar' }] } });
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toMatch(/config\.files\[0\]\.url: Host example\.org is not in the allowed hosts/);
    }
  });

  it('mirrors plain files by a URL template, verified by inline sha256 and by checksum files, and serves them', async () => {
    await mirror({
      processor: 'files',
      id: 'Cfg',
      config: {
        versions: ['1.0', '1.1'],
        files: [
          {
            url: `${plain.url}/dl/{version}/cfg-{version}.tar`,
            checksumUrl: `${plain.url}/dl/{version}/SHA256SUMS`,
          },
        ],
      },
    });
    await mirror({
      processor: 'files',
      id: 'inline',
      config: { files: [{ name: 'cfg.tar', url: `${plain.url}/dl/1.0/cfg-1.0.tar`, sha256: sha256(bytes('cfg 1.0')) }] },
    });
    const v11 = byName(await filesOf(backend.server, 'files', 'cfg', '1.1'));
    expect(v11['cfg-1.1.tar']).toMatchObject({ status: 'collected', verified: true });
    expect(v11.SHA256SUMS).toMatchObject({ status: 'collected', verified: true });
    const inline = byName(await filesOf(backend.server, 'files', 'inline', 'current'));
    expect(inline['cfg.tar']).toMatchObject({ status: 'collected', verified: true });
    const got = await view('files/cfg/1.1/cfg-1.1.tar');
    expect(got.status).toBe(200);
    expect(got.body.toString()).toBe('cfg 1.1\n');
    expect((await view('files/inline/current/cfg.tar')).body.toString()).toBe('cfg 1.0\n');
  });

  it('serves only what the caller may read, answering the rest as not mirrored', async () => {
    decide = name => (name === backpackArtifactReadPermission.name ? processorsOnly(backpackArtifactReadPermission, ['files']) : ALLOW);
    try {
      expect((await view(`github-releases/acme/tool/v2.0.0/${linux.name}`)).status).toBe(404);
      expect((await view('files/cfg/1.1/cfg-1.1.tar')).status).toBe(200);
    } finally {
      decide = () => ALLOW;
    }
  });

  it('carries the files in a bundle at the paths the view serves them', async () => {
    const created = await request(backend.server)
      .post('/api/backpack/exports')
      .send({ processors: ['github-releases', 'files'] });
    expect(created.status).toBe(202);
    const record = await waitFor(`export ${created.body.id}`, async () => {
      const res = await request(backend.server).get(`/api/backpack/exports/${created.body.id}`);
      if (res.body.status === 'failed') throw new Error(`Export failed: ${res.body.error}`);
      return res.body.status === 'succeeded' ? res.body : undefined;
    });
    const directory = path.join(work, 'bundle');
    const manifest = await downloadExport(backend.server, record.id, directory);
    const paths = manifest.files.map(f => f.path).sort();
    expect(paths).toEqual(
      [
        'files/files/cfg/1.0/SHA256SUMS',
        'files/files/cfg/1.0/cfg-1.0.tar',
        'files/files/cfg/1.1/SHA256SUMS',
        'files/files/cfg/1.1/cfg-1.1.tar',
        'files/files/inline/current/cfg.tar',
        'files/github-releases/acme/tool/v1.0.0/tool.zip',
        'files/github-releases/acme/tool/v2.0.0/SHA256SUMS',
        `files/github-releases/acme/tool/v2.0.0/${linux.name}`,
        'files/github-releases/acme/tool/v2.0.0/tool%202.0.0%20manual.pdf',
        'sbom.cdx.json',
      ].sort(),
    );
    expect((await runVerify(directory)).code).toBe(0);
    const target = path.join(work, 'unpacked');
    await unpackBundle(directory, manifest, target);
    const unpacked = await fs.readFile(path.join(target, 'files/github-releases/acme/tool/v2.0.0', linux.name));
    expect(Buffer.compare(unpacked, linux.body)).toBe(0);
    expect(await fs.readFile(path.join(target, 'files/files/cfg/1.1/cfg-1.1.tar'), 'utf8')).toBe('cfg 1.1\n');
  });
});
