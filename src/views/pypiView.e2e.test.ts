import fs from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import {
  buildPythonDistributions,
  publishPythonDistributions,
  PythonDistribution,
} from '../__testUtils__/pythonDistributions';
import { pipDownload } from '../__testUtils__/nativeClients';
import { STATIC_TOKEN } from '../__testUtils__/serveBackend';
import { StaticRegistryServer } from '../__testUtils__/staticRegistryServer';
import { mirrorThenStopUpstream } from './__testUtils__/offlineMirror';

// Acceptance test of the PyPI view (issue 6): a project with dependencies,
// real wheels and an sdist built here, mirrored from a local index, the
// index stopped, then the real pip downloads the project from the view.

const auth = { Authorization: `Bearer ${STATIC_TOKEN}` };

describe('PyPI simple repository view', () => {
  let built: PythonDistribution[];
  const file = (filename: string) => built.find(d => d.filename === filename)!;

  const mirror = mirrorThenStopUpstream({
    async startUpstream(work) {
      const dists = path.join(work, 'dists');
      await fs.mkdir(dists);
      built = await buildPythonDistributions(dists, [
        {
          name: 'Demo_App',
          version: '1.0',
          kind: 'wheel',
          requiresPython: '>=3.8',
          requiresDist: ['demo-lib>=1.0,<2', 'demo-helper; python_version >= "3"'],
        },
        { name: 'demo-lib', version: '1.0', kind: 'wheel' },
        { name: 'demo-lib', version: '1.2', kind: 'wheel' },
        { name: 'demo-lib', version: '2.0', kind: 'wheel' },
        // Only a source distribution: pip prepares its metadata offline.
        { name: 'demo-helper', version: '0.5', kind: 'sdist', requiresDist: ['demo-lib<2'] },
      ]);
      const server = await StaticRegistryServer.start();
      publishPythonDistributions(server, built);
      return { url: server.url, stop: () => server.close() };
    },
    processors: upstream => ({ pypi: { index: upstream.url } }),
    roots: [{ processor: 'pypi', id: 'demo-app' }],
  });

  it('collected the closure: the app, the lib version it needs and the sdist', () => {
    expect(mirror.counts).toEqual({ collected: 3 });
  });

  it('lets pip download the project with its dependencies, the upstream stopped', async () => {
    const dest = path.join(mirror.work, 'downloads');
    const index = new URL(`${mirror.backend.baseUrl}/pypi/simple/`);
    // The documented way: the token as the password of the index URL.
    index.username = 'token';
    index.password = STATIC_TOKEN;
    const downloaded = await pipDownload({ index: index.href, project: 'demo-app', dest, cwd: mirror.work });
    expect(downloaded).toEqual([
      'demo_app-1.0-py3-none-any.whl',
      'demo_helper-0.5.tar.gz',
      'demo_lib-1.2-py3-none-any.whl',
    ]);
    for (const name of downloaded) {
      expect(await fs.readFile(path.join(dest, name))).toEqual(file(name).body);
    }
  }, 90_000);

  it('serves PEP 503 HTML with sha256 fragments by default', async () => {
    const res = await request(mirror.backend.server).get('/api/backpack/pypi/simple/demo-lib/').set(auth);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const wheel = file('demo_lib-1.2-py3-none-any.whl');
    expect(res.text).toContain(
      `<a href="../../packages/demo-lib/1.2/${wheel.filename}#sha256=${wheel.sha256}">${wheel.filename}</a>`,
    );
    // Versions nothing requires are not mirrored.
    expect(res.text).not.toContain('demo_lib-2.0');
  });

  it('serves PEP 691 JSON when asked for it', async () => {
    const res = await request(mirror.backend.server)
      .get('/api/backpack/pypi/simple/demo-helper/')
      .set(auth)
      .set(
        'Accept',
        'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.1, text/html;q=0.01',
      );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/vnd\.pypi\.simple\.v1\+json/);
    const sdist = file('demo_helper-0.5.tar.gz');
    expect(JSON.parse(res.text)).toEqual({
      meta: { 'api-version': '1.1' },
      name: 'demo-helper',
      versions: ['0.5'],
      files: [
        {
          filename: sdist.filename,
          url: `../../packages/demo-helper/0.5/${sdist.filename}`,
          hashes: { sha256: sdist.sha256 },
          size: sdist.body.length,
        },
      ],
    });

    const index = await request(mirror.backend.server)
      .get('/api/backpack/pypi/simple/')
      .set(auth)
      .set('Accept', 'application/vnd.pypi.simple.v1+json');
    expect(JSON.parse(index.text).projects).toEqual([
      { name: 'demo-app' },
      { name: 'demo-helper' },
      { name: 'demo-lib' },
    ]);
  });

  it('redirects other spellings to the normalised name with a slash', async () => {
    const res = await request(mirror.backend.server).get('/api/backpack/pypi/simple/Demo_App').set(auth);
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/api/backpack/pypi/simple/demo-app/');
  });

  it('answers 404 for projects and files that are not collected', async () => {
    const project = await request(mirror.backend.server).get('/api/backpack/pypi/simple/requests/').set(auth);
    expect(project.status).toBe(404);
    const other = await request(mirror.backend.server)
      .get('/api/backpack/pypi/packages/demo-lib/2.0/demo_lib-2.0-py3-none-any.whl')
      .set(auth);
    expect(other.status).toBe(404);
  });

  it('challenges clients without credentials with basic auth', async () => {
    const res = await request(mirror.backend.server).get('/api/backpack/pypi/simple/demo-app/');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Backpack"');
  });
});
