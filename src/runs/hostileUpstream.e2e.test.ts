import { TestDatabases } from '@backstage/backend-test-utils';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { AccessBackend, startAccessBackend } from '../__testUtils__/accessBackend';
import { npmPackument } from '../__testUtils__/npmPackument';
import { StaticRegistryServer } from '../__testUtils__/staticRegistryServer';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const LONG_VERSION = `1.0.1-${'a'.repeat(300)}`;
const LONG_FILE = `${'x'.repeat(600)}.tgz`;
const LONG_RANGE = `>=1.0.0${' || 1.0.0'.repeat(200)}`;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const sha512 = (text: string) => `sha512-${createHash('sha512').update(text).digest('base64')}`;

/**
 * An npm registry and a PyPI JSON API whose answers are hostile: strings
 * longer than the columns that would store them, an id shaped like a path,
 * and one file name listed twice with different digests.
 */
async function startHostileUpstream(): Promise<StaticRegistryServer> {
  const upstream = await StaticRegistryServer.start();
  const manifest = (name: string, version: string, file: string, dependencies = {}) => ({
    name,
    version,
    dependencies,
    dist: { tarball: `${upstream.url}/${name}/-/${file}`, integrity: sha512(file) },
  });
  const packument = (name: string, versions: Record<string, Record<string, unknown>>) =>
    upstream.set(`/${name}`, {
      contentType: 'application/json',
      body: npmPackument(name, versions, { latest: '1.0.0' }),
    });
  packument('hostile', {
    '1.0.0': manifest('hostile', '1.0.0', 'hostile-1.0.0.tgz', {
      'ok-dep': '^1.0.0',
      '../../etc/passwd': '1.0.0',
      'long-range': LONG_RANGE,
    }),
    [LONG_VERSION]: manifest('hostile', LONG_VERSION, 'hostile-long.tgz'),
    '2.0.0': manifest('hostile', '2.0.0', LONG_FILE),
  });
  packument('ok-dep', { '1.0.0': manifest('ok-dep', '1.0.0', 'ok-dep-1.0.0.tgz') });
  packument('all-bad', { [`9.${'9'.repeat(300)}`]: manifest('all-bad', '9', 'all-bad.tgz') });

  const file = (filename: string, digest = sha256(filename)) => ({
    filename,
    url: `${upstream.url}/files/${filename}`,
    packagetype: filename.endsWith('.whl') ? 'bdist_wheel' : 'sdist',
    digests: { sha256: digest },
    upload_time_iso_8601: '2024-01-01T00:00:00.000000Z',
  });
  upstream.set('/pypi/hostile-py/json', {
    contentType: 'application/json',
    body: JSON.stringify({
      info: { version: '1.0', requires_dist: [] },
      releases: {
        '1.0': [file('hostile_py-1.0.tar.gz')],
        // Two different files under one name: which one is meant cannot be told.
        '1.1': [
          file('hostile_py-1.1.tar.gz', sha256('one')),
          file('hostile_py-1.1.tar.gz', sha256('another')),
          file('hostile_py-1.1-py3-none-any.whl'),
        ],
        // The same file twice is still one file.
        '1.2': [file('hostile_py-1.2.tar.gz'), file('hostile_py-1.2.tar.gz')],
      },
    }),
  });
  for (const version of ['1.1', '1.2']) {
    upstream.set(`/pypi/hostile-py/${version}/json`, {
      contentType: 'application/json',
      body: JSON.stringify({ info: { version, requires_dist: [] } }),
    });
  }
  return upstream;
}

describe.each(databases.eachSupportedId())('a hostile upstream on %p', databaseId => {
  let upstream: StaticRegistryServer;
  let backend: AccessBackend;
  const get = (url: string) => request(backend.server).get(`/api/backpack${url}`);

  beforeAll(async () => {
    upstream = await startHostileUpstream();
    backend = await startAccessBackend({
      knex: await databases.init(databaseId),
      backpack: {
        processors: { npm: { registry: upstream.url }, pypi: { index: upstream.url } },
        allowedHosts: [new URL(upstream.url).host],
      },
    });
  });

  afterAll(async () => {
    await backend.stop();
    await upstream.close();
  });

  it('keeps the good versions of an npm package and names everything it dropped', async () => {
    await backend.addRoot({ processor: 'npm', id: 'hostile' });
    const artifact = (await get('/artifacts/npm/hostile')).body;
    expect(artifact).toMatchObject({ status: 'ok' });
    expect(artifact.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^version 1\.0\.1-a+… \(306 characters\) dropped: must be at most 256 characters$/),
        expect.stringMatching(/^version 2\.0\.0: file x+… \(604 characters\) dropped: name must be at most 512 characters$/),
        expect.stringMatching(/^version 1\.0\.0: dependency npm:long-range dropped: range must be at most 1024 characters$/),
        "version 1.0.0: dependency npm:../../etc/passwd is unresolvable: invalid id: '../../etc/passwd' is not a valid npm package name",
      ]),
    );
    expect(artifact.warnings).toHaveLength(4);

    const versions = (await get('/artifacts/npm/hostile/versions')).body.items.map((v: any) => v.version);
    expect(versions.sort()).toEqual(['1.0.0', '2.0.0']);
    expect((await get('/artifacts/npm/hostile/versions/2.0.0/files')).body.total).toBe(0);
    expect(artifact.dependencies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'ok-dep', resolved: ['1.0.0'] }),
        expect.objectContaining({
          id: '../../etc/passwd',
          unresolvable: expect.stringMatching(/^invalid id: /),
        }),
      ]),
    );
    // The walk created no artifact under the path-like id.
    const npm = (await get('/artifacts?processor=npm&limit=500')).body.items.map((a: any) => a.id);
    expect(npm.sort()).toEqual(['hostile', 'ok-dep']);
  });

  it('fails the discovery, visibly, when no version of an answer is acceptable', async () => {
    const res = await request(backend.server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'npm', id: 'all-bad' });
    expect(res.status).toBe(201);
    await backend.poll(`/api/backpack/runs/${res.body.runId}`, r =>
      !['queued', 'running'].includes(r.status),
    );
    const artifact = (await get('/artifacts/npm/all-bad')).body;
    expect(artifact).toMatchObject({
      status: 'error',
      lastError: expect.stringMatching(
        /^every one of the 1 versions the upstream listed was refused: version 9\.9+… \(302 characters\) dropped: must be at most 256 characters$/,
      ),
    });
  });

  it('drops a PyPI file listed twice with different digests, and collapses identical duplicates', async () => {
    await backend.addRoot({ processor: 'pypi', id: 'hostile-py' });
    const artifact = (await get('/artifacts/pypi/hostile-py')).body;
    expect(artifact.status).toBe('ok');
    expect(artifact.warnings).toEqual([
      'version 1.1: file hostile_py-1.1.tar.gz dropped: listed 2 times with different contents',
    ]);
    const files = async (version: string) =>
      (await get(`/artifacts/pypi/hostile-py/versions/${version}/files`)).body.items.map((f: any) => f.name);
    expect(await files('1.0')).toEqual(['hostile_py-1.0.tar.gz']);
    expect(await files('1.1')).toEqual(['hostile_py-1.1-py3-none-any.whl']);
    expect(await files('1.2')).toEqual(['hostile_py-1.2.tar.gz']);
  });

  it('shows the same warnings in a preview', async () => {
    const res = await request(backend.server)
      .post('/api/backpack/artifacts/preview')
      .send({ processor: 'npm', id: 'hostile', dependencyPolicy: 'none' });
    expect(res.status).toBe(200);
    const [root] = res.body.artifacts;
    expect(root.warnings).toHaveLength(4);
    expect(root.versions.map((v: any) => v.version).sort()).toEqual(['1.0.0', '2.0.0']);
  });
});
