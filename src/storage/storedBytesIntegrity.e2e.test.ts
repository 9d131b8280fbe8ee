import { TestDatabases } from '@backstage/backend-test-utils';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { binaryBody } from '../__testUtils__/api';
import { npmPackument } from '../__testUtils__/npmPackument';
import { ServeTestBackend, startServeBackend, STATIC_TOKEN } from '../__testUtils__/serveBackend';
import { StaticRegistryServer } from '../__testUtils__/staticRegistryServer';
import { UNVERIFIED_FILE_ERROR } from '../collection/fileAdmission';
import {
  downloadExport,
  npmTarball,
  runVerify,
  unpackBundle,
} from '../exports/__testUtils__/bundleFiles';
import { waitFor } from '../__testUtils__/waitFor';

// Integrity of stored bytes through the whole plugin (issue 9): hostile
// upstreams, written here, list files that share a name with another
// project's or another version's, a file name with a `/`, and a file
// without a digest. Each file must keep its own bytes in the API, the
// views and export bundles, on PostgreSQL and SQLite.

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const auth = { Authorization: `Bearer ${STATIC_TOKEN}` };

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const sha512 = (data: Buffer) => createHash('sha512').update(data).digest('base64');

const BYTES = {
  victim: Buffer.from('the victim sdist\n'),
  attacker: Buffer.from('the attacker payload, published as victim-1.0.tar.gz\n'),
  victim2: Buffer.from('the second victim sdist\n'),
  hostile: Buffer.from('would turn victim2-1.0.tar.gz into a directory\n'),
  unverified: Buffer.from('no digest anywhere\n'),
  tar1: npmTarball({ name: 'twotar', version: '1.0.0' }),
  tar2: npmTarball({ name: 'twotar', version: '2.0.0' }),
};

/** A PyPI JSON API document listing one release's files. */
function pypiProject(
  upstream: StaticRegistryServer,
  name: string,
  files: Array<{ filename: string; path: string; content: Buffer; digest?: boolean }>,
) {
  upstream.set(`/pypi/${name}/json`, {
    contentType: 'application/json',
    body: JSON.stringify({
      info: { name, version: '1.0', requires_dist: null },
      releases: {
        '1.0': files.map(file => ({
          filename: file.filename,
          url: `${upstream.url}${file.path}`,
          packagetype: 'sdist',
          ...(file.digest === false ? {} : { digests: { sha256: sha256(file.content) } }),
          size: file.content.length,
        })),
      },
    }),
  });
  for (const file of files) upstream.set(file.path, file.content);
}

/** The hostile upstream: one server for PyPI's JSON API and an npm registry. */
async function startHostileUpstream(): Promise<StaticRegistryServer> {
  const upstream = await StaticRegistryServer.start();
  pypiProject(upstream, 'victim', [
    { filename: 'victim-1.0.tar.gz', path: '/files/victim/victim-1.0.tar.gz', content: BYTES.victim },
  ]);
  pypiProject(upstream, 'attacker', [
    { filename: 'victim-1.0.tar.gz', path: '/files/attacker/victim-1.0.tar.gz', content: BYTES.attacker },
    { filename: 'victim2-1.0.tar.gz/x.tar.gz', path: '/files/attacker/x.tar.gz', content: BYTES.hostile },
  ]);
  pypiProject(upstream, 'victim2', [
    { filename: 'victim2-1.0.tar.gz', path: '/files/victim2/victim2-1.0.tar.gz', content: BYTES.victim2 },
  ]);
  pypiProject(upstream, 'nodigest', [
    { filename: 'nodigest-1.0.tar.gz', path: '/files/nodigest/nodigest-1.0.tar.gz', content: BYTES.unverified, digest: false },
  ]);
  // Two versions whose tarballs have the same file name.
  const twotar = (n: number, bytes: Buffer) => ({
    dist: { tarball: `${upstream.url}/t${n}/twotar.tgz`, integrity: `sha512-${sha512(bytes)}` },
  });
  upstream.set('/twotar', {
    contentType: 'application/json',
    body: npmPackument('twotar', { '1.0.0': twotar(1, BYTES.tar1), '2.0.0': twotar(2, BYTES.tar2) }),
  });
  upstream.set('/t1/twotar.tgz', BYTES.tar1);
  upstream.set('/t2/twotar.tgz', BYTES.tar2);
  return upstream;
}

async function filesOf(backend: ServeTestBackend, processor: string, id: string, version: string) {
  const res = await request(backend.server)
    .get(`/api/backpack/artifacts/${processor}/${id}/versions/${version}/files`)
    .set(auth);
  expect(res.status).toBe(200);
  return Object.fromEntries(
    (res.body.items as Array<Record<string, any>>).map(file => [file.name, file]),
  );
}

async function fetchBytes(backend: ServeTestBackend, url: string) {
  return request(backend.server)
    .get(url)
    .set(auth)
    .buffer(true)
    .parse(binaryBody);
}

/** Builds a full export over the API and downloads, verifies and unpacks it. */
async function exportAndUnpack(backend: ServeTestBackend, work: string) {
  const created = await request(backend.server).post('/api/backpack/exports').set(auth).send({});
  expect(created.status).toBe(202);
  const record: Record<string, any> = await waitFor(
    'the export to finish',
    async () => {
      const res = await request(backend.server).get(`/api/backpack/exports/${created.body.id}`).set(auth);
      if (res.body.status === 'failed') throw new Error(`export failed: ${res.body.error}`);
      return res.body.status === 'succeeded' ? res.body : undefined;
    },
    { attempts: 600, intervalMs: 100 },
  );
  const directory = path.join(work, `bundle-${record.id}`);
  const manifest = await downloadExport(backend.server, record.id, directory, auth);
  const verify = await runVerify(directory);
  const unpacked = path.join(work, `unpacked-${record.id}`);
  await unpackBundle(directory, manifest, unpacked);
  const entries = new Map(manifest.files.map(file => [file.path, file]));
  return { manifest, entries, verify, unpacked, directory };
}

describe.each(databases.eachSupportedId())('integrity of stored bytes on %p', databaseId => {
  let upstream: StaticRegistryServer;
  let work: string;

  beforeAll(async () => {
    upstream = await startHostileUpstream();
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-integrity-'));
  });

  afterAll(async () => {
    await upstream?.close();
    await fs.rm(work, { recursive: true, force: true });
  });

  const config = () => ({
    processors: { pypi: { index: upstream.url }, npm: { registry: upstream.url } },
    allowedHosts: [new URL(upstream.url).host],
  });

  describe('with unverified files rejected (the default)', () => {
    let backend: ServeTestBackend;

    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      backend = await startServeBackend(config(), { knex });
      // The victim first: on main, the attacker's later collection replaced its bytes.
      // Runs that park the hostile and undigested files end partial.
      for (const id of ['victim', 'attacker', 'victim2', 'nodigest']) {
        await backend.addRoot({ processor: 'pypi', id }, { allowPartial: true });
      }
      await backend.addRoot({ processor: 'npm', id: 'twotar' });
      await backend.waitForCollection();
    });

    afterAll(async () => {
      await backend?.stop();
    });

    it('keeps a PyPI project\'s bytes when another project lists a file of the same name', async () => {
      const victim = await filesOf(backend, 'pypi', 'victim', '1.0');
      const attacker = await filesOf(backend, 'pypi', 'attacker', '1.0');
      expect(victim['victim-1.0.tar.gz']).toMatchObject({ status: 'collected', verified: true });
      expect(attacker['victim-1.0.tar.gz']).toMatchObject({ status: 'collected', verified: true });
      expect(victim['victim-1.0.tar.gz'].storageKey).not.toBe(attacker['victim-1.0.tar.gz'].storageKey);

      for (const [project, bytes] of [['victim', BYTES.victim], ['attacker', BYTES.attacker]] as const) {
        const res = await fetchBytes(backend, `/api/backpack/pypi/packages/${project}/1.0/victim-1.0.tar.gz`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual(bytes);
        expect(res.headers['x-backpack-verified']).toBe('true');
        const page = await request(backend.server).get(`/api/backpack/pypi/simple/${project}/`).set(auth);
        expect(page.text).toContain(
          `href="../../packages/${project}/1.0/victim-1.0.tar.gz#sha256=${sha256(bytes)}"`,
        );
      }
      // The URL without project and version, which both would answer to, is gone.
      expect((await request(backend.server).get('/api/backpack/pypi/packages/victim-1.0.tar.gz').set(auth)).status).toBe(404);
      // Names no stored file can have are a 404 before the database (a NUL fails PostgreSQL).
      for (const url of [
        '/api/backpack/pypi/packages/victim/1.0%00/victim-1.0.tar.gz',
        '/api/backpack/pypi/packages/victim/1.0/victim-1.0.tar.gz%00',
        '/api/backpack/npm/twotar/-/1.0.0%00/twotar.tgz',
        '/api/backpack/npm/twotar/-/twotar.tgz%00',
        '/api/backpack/maven/org/x%00/a/1.0/a-1.0.jar',
      ]) {
        expect((await request(backend.server).get(url).set(auth)).status).toBe(404);
      }
    });

    it('refuses a file name with a / with a visible reason, without fetching it, and collects the project it aimed at', async () => {
      const attacker = await filesOf(backend, 'pypi', 'attacker', '1.0');
      expect(attacker['victim2-1.0.tar.gz/x.tar.gz']).toMatchObject({
        status: 'parked',
        collected: false,
        error: 'Refused: file name "victim2-1.0.tar.gz/x.tar.gz" contains \'/\'; a file name must be one path segment',
      });
      expect(upstream.requestsTo('/files/attacker/x.tar.gz')).toEqual([]);
      const victim2 = await filesOf(backend, 'pypi', 'victim2', '1.0');
      expect(victim2['victim2-1.0.tar.gz']).toMatchObject({ status: 'collected' });
      const res = await fetchBytes(backend, '/api/backpack/pypi/packages/victim2/1.0/victim2-1.0.tar.gz');
      expect(res.body).toEqual(BYTES.victim2);
    });

    it('serves each npm version its own tarball when two versions publish the same file name', async () => {
      const packument = await request(backend.server).get('/api/backpack/npm/twotar').set(auth);
      expect(packument.status).toBe(200);
      const urls: Record<string, string> = {};
      for (const [version, bytes] of [['1.0.0', BYTES.tar1], ['2.0.0', BYTES.tar2]] as const) {
        const dist = packument.body.versions[version].dist;
        expect(dist.integrity).toBe(`sha512-${sha512(bytes)}`);
        urls[version] = dist.tarball;
        const res = await fetchBytes(backend, new URL(dist.tarball).pathname);
        expect(res.status).toBe(200);
        expect(res.body).toEqual(bytes);
      }
      expect(urls['1.0.0']).toBe(`${backend.baseUrl}/npm/twotar/-/1.0.0/twotar.tgz`);
      expect(urls['2.0.0']).toBe(`${backend.baseUrl}/npm/twotar/-/2.0.0/twotar.tgz`);
      // The URL of earlier packuments names no version: ambiguous here, so refused.
      const ambiguous = await request(backend.server).get('/api/backpack/npm/twotar/-/twotar.tgz').set(auth);
      expect(ambiguous.status).toBe(404);
      expect(ambiguous.body.error.message).toContain('2 versions of twotar have a file named twotar.tgz');
    });

    it('parks a file without a digest with the reason, without a request to the upstream', async () => {
      const files = await filesOf(backend, 'pypi', 'nodigest', '1.0');
      expect(files['nodigest-1.0.tar.gz']).toMatchObject({
        status: 'parked',
        collected: false,
        verified: false,
        error: UNVERIFIED_FILE_ERROR,
      });
      expect(upstream.requestsTo('/files/nodigest/')).toEqual([]);
    });

    it('exports every file at its own path with its own bytes, linked from the static metadata', async () => {
      const { manifest, entries, verify, unpacked } = await exportAndUnpack(backend, work);
      expect(verify).toEqual({ code: 0, stdout: `OK: ${manifest.files.length} files, ${manifest.parts.length} parts\n` });
      const expected = {
        'pypi/packages/victim/1.0/victim-1.0.tar.gz': BYTES.victim,
        'pypi/packages/attacker/1.0/victim-1.0.tar.gz': BYTES.attacker,
        'pypi/packages/victim2/1.0/victim2-1.0.tar.gz': BYTES.victim2,
        'npm/-/twotar/1.0.0/twotar.tgz': BYTES.tar1,
        'npm/-/twotar/2.0.0/twotar.tgz': BYTES.tar2,
      };
      for (const [file, bytes] of Object.entries(expected)) {
        expect(entries.get(file)).toMatchObject({ sha256: sha256(bytes), verified: true });
        expect(await fs.readFile(path.join(unpacked, file))).toEqual(bytes);
      }
      expect(manifest.files.filter(f => f.verified !== undefined)).toHaveLength(5);
      const victimPage = await fs.readFile(path.join(unpacked, 'pypi/simple/victim/index.html'), 'utf8');
      expect(victimPage).toContain(`href="../../packages/victim/1.0/victim-1.0.tar.gz#sha256=${sha256(BYTES.victim)}"`);
      const packument = JSON.parse(await fs.readFile(path.join(unpacked, 'npm/twotar'), 'utf8'));
      expect(packument.versions['1.0.0'].dist.tarball).toBe('https://registry.npmjs.org/-/twotar/1.0.0/twotar.tgz');
      expect(packument.versions['2.0.0'].dist.tarball).toBe('https://registry.npmjs.org/-/twotar/2.0.0/twotar.tgz');
    });
  });

  describe('with unverified files allowed', () => {
    let backend: ServeTestBackend;

    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      backend = await startServeBackend(
        { ...config(), collection: { unverifiedFiles: 'allow' } },
        { knex },
      );
      await backend.addRoot({ processor: 'pypi', id: 'nodigest' });
      await backend.waitForCollection();
    });

    afterAll(async () => {
      await backend?.stop();
    });

    it('collects it and marks it unverified in the API, the view and the bundle', async () => {
      const files = await filesOf(backend, 'pypi', 'nodigest', '1.0');
      expect(files['nodigest-1.0.tar.gz']).toMatchObject({ status: 'collected', verified: false });
      expect(files['nodigest-1.0.tar.gz'].integrity).toBeUndefined();

      const res = await fetchBytes(backend, '/api/backpack/pypi/packages/nodigest/1.0/nodigest-1.0.tar.gz');
      expect(res.body).toEqual(BYTES.unverified);
      expect(res.headers['x-backpack-verified']).toBe('false');

      const { manifest, entries, verify, directory } = await exportAndUnpack(backend, work);
      const entry = 'pypi/packages/nodigest/1.0/nodigest-1.0.tar.gz';
      expect(entries.get(entry)).toMatchObject({ sha256: sha256(BYTES.unverified), verified: false });
      expect(verify).toEqual({
        code: 0,
        stdout:
          `UNVERIFIED ${entry}: collected although its upstream declared no digest\n` +
          `OK: ${manifest.files.length} files, ${manifest.parts.length} parts, 1 unverified\n`,
      });
      // A receiving side that takes verified files only.
      expect(await runVerify(directory, ['--reject-unverified'])).toEqual({
        code: 1,
        stdout:
          `UNVERIFIED ${entry}: collected although its upstream declared no digest (--reject-unverified)\n` +
          `FAILED: 1 problems in ${manifest.files.length} files, ${manifest.parts.length} parts, 1 unverified\n`,
      });
    });
  });
});
