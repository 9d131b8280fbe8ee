import { TestDatabases } from '@backstage/backend-test-utils';
import { PolicyDecision } from '@backstage/plugin-permission-common';
import { createHash } from 'node:crypto';
import request from 'supertest';
import {
  backpackArtifactDeletePermission,
  backpackArtifactReadPermission,
  backpackArtifactUpdatePermission,
  backpackFileRetryPermission,
} from '../permissions';
import { AccessBackend, startAccessBackend } from '../__testUtils__/accessBackend';
import { npmPackument } from '../__testUtils__/npmPackument';
import {
  ALLOW,
  DENY,
  permissionsWithPolicy,
  processorsOnly,
  rootsOnly,
} from '../__testUtils__/permissionPolicy';
import { StaticRegistryServer } from '../__testUtils__/staticRegistryServer';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

/** Roots only: `lib` and the npm `vis-dep`, pulled in as dependencies, are not readable. */
const READ_ROOTS = rootsOnly(backpackArtifactReadPermission);
/** Only the `other` processor's artifact. */
const READ_OTHER = processorsOnly(backpackArtifactReadPermission, ['other']);

/** An npm registry (`vis-root` depends on `vis-dep`) and a PyPI JSON API (`vis-py`). */
async function startUpstream(): Promise<StaticRegistryServer> {
  const upstream = await StaticRegistryServer.start();
  const sdist = 'vis_py-1.0.tar.gz';
  upstream.set(`/files/${sdist}`, `contents of ${sdist}`);
  upstream.set('/pypi/vis-py/json', {
    contentType: 'application/json',
    body: JSON.stringify({
      info: { version: '1.0', requires_dist: [] },
      releases: {
        '1.0': [
          {
            filename: sdist,
            url: `${upstream.url}/files/${sdist}`,
            packagetype: 'sdist',
            digests: { sha256: createHash('sha256').update(`contents of ${sdist}`).digest('hex') },
          },
        ],
      },
    }),
  });
  for (const [name, dependencies] of [
    ['vis-root', { 'vis-dep': '^1.0.0' }],
    ['vis-dep', {}],
  ] as const) {
    const tarball = Buffer.from(`not really a tarball of ${name}`);
    upstream.set(`/${name}/-/${name}-1.0.0.tgz`, tarball);
    const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
    upstream.set(`/${name}`, {
      contentType: 'application/json',
      body: npmPackument(name, {
        '1.0.0': { dependencies, dist: { tarball: `${upstream.url}/${name}/-/${name}-1.0.0.tgz`, integrity } },
      }),
    });
  }
  return upstream;
}

/** Status, error name and message with the id replaced, for comparing a hidden thing with a missing one. */
function shapeOf(res: request.Response, id: string) {
  return {
    status: res.status,
    name: res.body?.error?.name,
    // The first mention is the thing asked for; a file name may repeat it.
    message: String(res.body?.error?.message).replace(id, '<id>'),
  };
}

describe.each(databases.eachSupportedId())('authorization on %p', databaseId => {
  let backend: AccessBackend;
  let npm: StaticRegistryServer;
  let decisions: Record<string, PolicyDecision> = {};
  let runs: Record<string, string>;
  let fullExport: string;
  let otherExport: string;
  const as = (read: PolicyDecision, others: Record<string, PolicyDecision> = {}) => {
    decisions = { [backpackArtifactReadPermission.name]: read, ...others };
  };
  const get = (url: string) => request(backend.server).get(`/api/backpack${url}`);

  beforeAll(async () => {
    npm = await startUpstream();
    backend = await startAccessBackend({
      knex: await databases.init(databaseId),
      features: [permissionsWithPolicy(name => decisions[name] ?? ALLOW)],
      backpack: {
        processors: { npm: { registry: npm.url }, pypi: { index: npm.url } },
        allowedHosts: [new URL(npm.url).host],
      },
    });
    await backend.addRoot({ processor: 'test', id: 'app' });
    await backend.addRoot({ processor: 'test', id: 'solo' });
    await backend.addRoot({ processor: 'other', id: 'elsewhere' });
    await backend.addRoot({ processor: 'npm', id: 'vis-root' });
    await backend.addRoot({ processor: 'pypi', id: 'vis-py' });
    const full = await request(backend.server).post('/api/backpack/runs');
    await backend.poll(`/api/backpack/runs/${full.body.id}`, r => r.status !== 'queued' && r.status !== 'running');
    await backend.waitForCollection();
    const list = await get('/runs?limit=500');
    runs = Object.fromEntries(
      list.body.items.map((r: any) => [r.scope ? r.scope.id : 'full', r.id]),
    );
    for (const [body, assign] of [
      [{}, (id: string) => (fullExport = id)],
      [{ processors: ['other'] }, (id: string) => (otherExport = id)],
    ] as const) {
      const created = await request(backend.server).post('/api/backpack/exports').send(body);
      assign(created.body.id);
      await backend.poll(`/api/backpack/exports/${created.body.id}`, e => e.status === 'succeeded');
    }
  });

  afterAll(async () => {
    await backend.stop();
    await npm.close();
  });

  const artifactRoutes = (processor: string, id: string) => [
    ['get', `/artifacts/${processor}/${id}`, undefined],
    ['get', `/artifacts/${processor}/${id}/versions`, undefined],
    ['get', `/artifacts/${processor}/${id}/versions/1.0.0/files`, undefined],
    ['patch', `/artifacts/${processor}/${id}`, { filter: null }],
    ['delete', `/artifacts/${processor}/${id}`, undefined],
    ['post', `/artifacts/${processor}/${id}/retry`, undefined],
  ] as const;

  it('answers an artifact the caller may not read exactly like a missing one, on every route', async () => {
    as(READ_ROOTS);
    for (const [[method, hidden, body], [, missing]] of artifactRoutes('test', 'lib').map(
      (route, i) => [route, artifactRoutes('test', 'nope')[i]] as const,
    )) {
      const a = await request(backend.server)[method](`/api/backpack${hidden}`).send(body);
      const b = await request(backend.server)[method](`/api/backpack${missing}`).send(body);
      expect([method, hidden, shapeOf(a, 'lib')]).toEqual([method, hidden, shapeOf(b, 'nope')]);
      expect(a.status).toBe(404);
    }
    // A run cannot be scoped to it either, and that says nothing more.
    const run = await request(backend.server).post('/api/backpack/runs').send({ processor: 'test', id: 'lib' });
    const none = await request(backend.server).post('/api/backpack/runs').send({ processor: 'test', id: 'nope' });
    expect(shapeOf(run, 'lib')).toEqual(shapeOf(none, 'nope'));
    expect(run.status).toBe(404);
    // Lists leave it out; what may be read is there.
    const list = await get('/artifacts');
    expect(list.body.items.map((a: any) => a.id).sort()).toEqual(['app', 'elsewhere', 'solo', 'vis-py', 'vis-root']);
    expect((await get('/artifacts/test/app')).status).toBe(200);
  });

  it('answers 403 for a readable artifact when the write permission is denied or its condition fails', async () => {
    const updateOther = processorsOnly(backpackArtifactUpdatePermission, ['other']);
    as(READ_ROOTS, {
      'backpack.artifact.update': updateOther,
      'backpack.artifact.delete': DENY,
      'backpack.file.retry': DENY,
    });
    for (const [method, url, body] of artifactRoutes('test', 'app').slice(3)) {
      const res = await request(backend.server)[method](`/api/backpack${url}`).send(body);
      expect([method, url, res.status, res.body.error?.name]).toEqual([method, url, 403, 'NotAllowedError']);
    }
    const allowed = await request(backend.server)
      .patch('/api/backpack/artifacts/other/elsewhere')
      .send({ dependencyPolicy: 'latest' });
    expect(allowed.status).toBe(200);
  });

  it('refuses every read with 403 when reading is denied outright, whether or not the artifact exists', async () => {
    as(DENY);
    for (const id of ['app', 'nope']) {
      for (const [method, url, body] of artifactRoutes('test', id)) {
        const res = await request(backend.server)[method](`/api/backpack${url}`).send(body);
        expect([method, url, res.status]).toEqual([method, url, 403]);
      }
    }
    expect((await get('/artifacts')).status).toBe(403);
  });

  it('shows full runs by backpack.run.read and scoped runs by the read decision', async () => {
    const visible = async () => {
      const list = await get('/runs?limit=500');
      expect(list.status).toBe(200);
      expect(list.body.total).toBe(list.body.items.length);
      const ids = list.body.items.map((r: any) => r.id).sort();
      for (const [what, id] of Object.entries(runs)) {
        const one = await get(`/runs/${id}`);
        expect([what, one.status]).toEqual([what, ids.includes(id) ? 200 : 404]);
      }
      return Object.entries(runs)
        .filter(([, id]) => ids.includes(id))
        .map(([what]) => what)
        .sort();
    };
    as(ALLOW);
    expect(await visible()).toEqual(['app', 'elsewhere', 'full', 'solo', 'vis-py', 'vis-root']);
    as(READ_ROOTS, { 'backpack.run.read': DENY });
    expect(await visible()).toEqual(['app', 'elsewhere', 'solo', 'vis-py', 'vis-root']);
    as(READ_OTHER, { 'backpack.run.read': ALLOW });
    expect(await visible()).toEqual(['elsewhere', 'full']);
    as(DENY, { 'backpack.run.read': DENY });
    expect(await visible()).toEqual([]);
    // A run the caller may not see reads like one that does not exist.
    const hidden = await get(`/runs/${runs.full}`);
    const missing = await get('/runs/00000000-0000-4000-8000-000000000000');
    expect(shapeOf(hidden, runs.full)).toEqual(shapeOf(missing, '00000000-0000-4000-8000-000000000000'));
  });

  it('counts statistics in the read scope, and shows the queue only to callers who may read everything', async () => {
    const stats = async () => {
      const res = await get('/stats');
      expect(res.status).toBe(200);
      return {
        rows: res.body.byProcessor.map((r: any) => `${r.processor}:${r.status}:${r.files}`).sort(),
        queue: 'queue' in res.body,
      };
    };
    as(ALLOW);
    expect(await stats()).toEqual({
      rows: ['npm:collected:2', 'other:collected:1', 'pypi:collected:1', 'test:collected:3'],
      queue: true,
    });
    as(READ_ROOTS);
    expect(await stats()).toEqual({
      rows: ['npm:collected:1', 'other:collected:1', 'pypi:collected:1', 'test:collected:2'],
      queue: false,
    });
    as(READ_OTHER);
    expect(await stats()).toEqual({ rows: ['other:collected:1'], queue: false });
    as(DENY);
    expect(await stats()).toEqual({ rows: [], queue: false });
  });

  it('shows an export, its manifest and parts only to callers who may read everything it carries', async () => {
    const visible = async () => {
      const list = await get('/exports');
      const ids: string[] = list.body.items.map((e: any) => e.id);
      expect(list.body.total).toBe(ids.length);
      for (const id of [fullExport, otherExport]) {
        const expected = ids.includes(id) ? 200 : 404;
        for (const url of [`/exports/${id}`, `/exports/${id}/manifest`, `/exports/${id}/parts/1`]) {
          expect([url, (await get(url)).status]).toEqual([url, expected]);
        }
      }
      return [fullExport, otherExport].map(id => ids.includes(id));
    };
    as(ALLOW);
    expect(await visible()).toEqual([true, true]);
    as(READ_ROOTS);
    expect(await visible()).toEqual([false, true]);
    as(READ_OTHER);
    expect(await visible()).toEqual([false, true]);
    as(processorsOnly(backpackArtifactReadPermission, ['test']));
    expect(await visible()).toEqual([false, false]);
    as(DENY);
    expect(await visible()).toEqual([false, false]);
    const hidden = await get(`/exports/${fullExport}/manifest`);
    const missing = await get('/exports/00000000-0000-4000-8000-000000000000/manifest');
    expect(shapeOf(hidden, fullExport)).toEqual(shapeOf(missing, '00000000-0000-4000-8000-000000000000'));
  });

  it('answers the registry views like the API: hidden looks not mirrored, denied is refused before anything is looked up', async () => {
    as(READ_ROOTS);
    expect((await get('/npm/vis-root')).status).toBe(200);
    const hidden = await get('/npm/vis-dep');
    const missing = await get('/npm/never-mirrored');
    expect(shapeOf(hidden, 'vis-dep')).toEqual(shapeOf(missing, 'never-mirrored'));
    expect(hidden.status).toBe(404);
    for (const tail of ['-/vis-dep-1.0.0.tgz', '-/1.0.0/vis-dep-1.0.0.tgz']) {
      const tarball = await get(`/npm/vis-dep/${tail}`);
      const noTarball = await get(`/npm/never-mirrored/${tail}`);
      expect(shapeOf(tarball, 'vis-dep')).toEqual(shapeOf(noTarball, 'never-mirrored'));
      expect(tarball.status).toBe(404);
    }
    // PyPI: the index leaves out what may not be read, pages and files look not mirrored.
    as(READ_OTHER);
    const json = 'application/vnd.pypi.simple.v1+json';
    const index = await get('/pypi/simple/').set('Accept', json);
    expect(JSON.parse(index.text).projects).toEqual([]);
    expect(shapeOf(await get('/pypi/simple/vis-py/'), 'vis-py')).toEqual(
      shapeOf(await get('/pypi/simple/never-mirrored/'), 'never-mirrored'),
    );
    const file = await get('/pypi/packages/vis-py/1.0/vis_py-1.0.tar.gz');
    const noFile = await get('/pypi/packages/never-mirrored/1.0/vis_py-1.0.tar.gz');
    expect(shapeOf(file, 'vis-py')).toEqual(shapeOf(noFile, 'never-mirrored'));
    expect(file.status).toBe(404);
    as(ALLOW);
    expect(JSON.parse((await get('/pypi/simple/').set('Accept', json)).text).projects).toEqual([
      { name: 'vis-py' },
    ]);
    expect((await get('/pypi/packages/vis-py/1.0/vis_py-1.0.tar.gz')).status).toBe(200);
    expect((await get('/npm/vis-dep/-/vis-dep-1.0.0.tgz')).status).toBe(200);
    expect((await get('/npm/vis-dep/-/1.0.0/vis-dep-1.0.0.tgz')).status).toBe(200);
    as(DENY);
    for (const url of ['/npm/vis-root', '/npm/never-mirrored', '/pypi/simple/', '/pypi/simple/vis-py/']) {
      expect([url, (await get(url)).status]).toEqual([url, 403]);
    }
  });

  it('answers every artifact route for an artifact a conditional decision lets through', async () => {
    as(READ_ROOTS, {
      'backpack.artifact.update': rootsOnly(backpackArtifactUpdatePermission),
      'backpack.artifact.delete': rootsOnly(backpackArtifactDeletePermission),
      'backpack.file.retry': rootsOnly(backpackFileRetryPermission),
    });
    const answers = [];
    for (const [method, url, body] of artifactRoutes('test', 'solo')) {
      answers.push((await request(backend.server)[method](`/api/backpack${url}`).send(body)).status);
    }
    // Read, read, read, updated, deleted; the retry then finds nothing.
    expect(answers).toEqual([200, 200, 200, 200, 204, 404]);
  });
});
