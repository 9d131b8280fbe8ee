import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { startNpmCorpusVerdaccio } from '../__testUtils__/npmCorpus';
import {
  npmInstallFromView,
  ServeTestBackend,
  startServeBackend,
  STATIC_TOKEN,
} from '../__testUtils__/serveBackend';
import { TestNpmRegistry } from '../__testUtils__/verdaccio';

// Acceptance test of the npm view (issue 6) over the frozen corpus (npm run
// test:corpus): express and jest mirrored from verdaccio, verdaccio stopped,
// then the real npm installs both from the view with an empty cache and
// nothing else to reach. npmView.e2e.test.ts does the same with generated
// packages.

const auth = { Authorization: `Bearer ${STATIC_TOKEN}` };

describe('npm registry view', () => {
  let verdaccio: TestNpmRegistry | undefined;
  let backend: ServeTestBackend;
  let work: string;
  /** express@4.21.2 as verdaccio served it, before it stopped. */
  let upstreamExpress: { dist: { integrity: string } };
  let upstreamJestCli: { bin: unknown };
  let counts: Record<string, number>;

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-npm-view-'));
    const upstream = await startNpmCorpusVerdaccio();
    verdaccio = upstream;
    upstreamExpress = (await (await fetch(`${upstream.url}/express`)).json()).versions['4.21.2'];
    upstreamJestCli = (await (await fetch(`${upstream.url}/jest-cli`)).json()).versions['29.7.0'];
    backend = await startServeBackend({
      processors: { npm: { registry: upstream.url } },
      allowedHosts: [new URL(upstream.url).host],
    });
    await backend.addRoot({ processor: 'npm', id: 'express', filter: '4.21.2' });
    await backend.addRoot({ processor: 'npm', id: 'jest', filter: '29.7.0' });
    counts = await backend.waitForCollection();
    // From here on the mirror is all there is.
    await upstream.stop();
    verdaccio = undefined;
  });

  afterAll(async () => {
    await verdaccio?.stop();
    await backend?.stop();
    await fs.rm(work, { recursive: true, force: true });
  });

  it('collected every file of both closures', () => {
    expect(counts.collected).toBeGreaterThanOrEqual(339);
    expect(counts.failed ?? 0).toBe(0);
    expect(counts.parked ?? 0).toBe(0);
  });

  it('installs express and jest with npm, an empty cache and the upstream stopped', async () => {
    const project = await npmInstallFromView(backend.baseUrl, work, ['express@4.21.2', 'jest@29.7.0']);
    const registry = `${backend.baseUrl}/npm/`;

    const installed = async (name: string) =>
      JSON.parse(
        await fs.readFile(path.join(project, 'node_modules', name, 'package.json'), 'utf8'),
      ).version;
    expect(await installed('express')).toBe('4.21.2');
    expect(await installed('jest')).toBe('29.7.0');
    // bin comes from the manifest read out of the stored tarball.
    await expect(fs.access(path.join(project, 'node_modules', '.bin', 'jest'))).resolves.toBeUndefined();
    const lock = JSON.parse(await fs.readFile(path.join(project, 'package-lock.json'), 'utf8'));
    expect(lock.packages['node_modules/express']).toMatchObject({
      resolved: `${registry}express/-/4.21.2/express-4.21.2.tgz`,
      integrity: upstreamExpress.dist.integrity,
    });
  }, 180_000);

  it('serves a packument of the mirrored versions with upstream digests and recomputed dist-tags', async () => {
    const res = await request(backend.server).get('/api/backpack/npm/express').set(auth);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.versions)).toEqual(['4.21.2']);
    // The upstream's latest (5.x) is not mirrored.
    expect(res.body['dist-tags']).toEqual({ latest: '4.21.2' });
    const version = res.body.versions['4.21.2'];
    // Only the strongest upstream digest is stored, so no sha1 shasum here.
    expect(version.dist).toEqual({
      tarball: `${backend.baseUrl}/npm/express/-/4.21.2/express-4.21.2.tgz`,
      integrity: upstreamExpress.dist.integrity,
    });
    expect(version.dependencies).toMatchObject({ 'body-parser': '1.20.3', qs: '6.13.0' });

    const cli = await request(backend.server).get('/api/backpack/npm/jest-cli').set(auth);
    expect(cli.body.versions['29.7.0'].bin).toEqual(upstreamJestCli.bin);
  });

  it('serves scoped packages under both spellings, and their tarballs with HEAD', async () => {
    const encoded = await request(backend.server).get('/api/backpack/npm/@jest%2fcore').set(auth);
    const plain = await request(backend.server).get('/api/backpack/npm/@jest/core').set(auth);
    expect(encoded.status).toBe(200);
    expect(plain.body).toEqual(encoded.body);
    const tarball: string = encoded.body.versions['29.7.0'].dist.tarball;
    expect(tarball).toBe(`${backend.baseUrl}/npm/@jest/core/-/29.7.0/core-29.7.0.tgz`);

    const tarballPath = new URL(tarball).pathname;
    const head = await request(backend.server).head(tarballPath).set(auth);
    expect(head.status).toBe(200);
    const get = await request(backend.server)
      .get(tarballPath)
      .set(auth)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(get.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe((get.body as Buffer).length);
    // A gzip stream.
    expect((get.body as Buffer).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(get.headers['x-backpack-verified']).toBe('true');
    // The URL of earlier packuments, without the version, still answers
    // where only one version has a file of that name.
    const earlier = await request(backend.server)
      .head('/api/backpack/npm/@jest/core/-/core-29.7.0.tgz')
      .set(auth);
    expect(earlier.status).toBe(200);
    expect(earlier.headers['content-length']).toBe(head.headers['content-length']);
  });

  it('answers 404 for packages, versions and files that are not collected', async () => {
    const notMirrored = await request(backend.server).get('/api/backpack/npm/left-pad').set(auth);
    expect(notMirrored.status).toBe(404);
    const otherVersion = await request(backend.server)
      .get('/api/backpack/npm/express/-/express-5.3.0.tgz')
      .set(auth);
    expect(otherVersion.status).toBe(404);
  });

  it('asks for credentials, and takes a token as bearer or as basic-auth password', async () => {
    const anonymous = await request(backend.server).get('/api/backpack/npm/express');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic /);
    const wrong = await request(backend.server)
      .get('/api/backpack/npm/express')
      .set('Authorization', 'Bearer not-a-token');
    expect(wrong.status).toBe(401);
    const basic = await request(backend.server)
      .get('/api/backpack/npm/express')
      .auth('anyone', STATIC_TOKEN);
    expect(basic.status).toBe(200);
  });
});
