import fs from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { startNpmCorpusVerdaccio } from '../__testUtils__/npmCorpus';
import { npmInstallFromView, STATIC_TOKEN } from '../__testUtils__/serveBackend';
import { expectCredentialsAsked, expectTarballServed } from './__testUtils__/npmViewChecks';
import { mirrorThenStopUpstream } from './__testUtils__/offlineMirror';

// Acceptance test of the npm view (issue 6) over the frozen corpus (npm run
// test:corpus): express and jest mirrored from verdaccio, verdaccio stopped,
// then the real npm installs both from the view with an empty cache and
// nothing else to reach. npmView.e2e.test.ts does the same with generated
// packages.

const auth = { Authorization: `Bearer ${STATIC_TOKEN}` };

describe('npm registry view', () => {
  /** express@4.21.2 as verdaccio served it, before it stopped. */
  let upstreamExpress: { dist: { integrity: string } };
  let upstreamJestCli: { bin: unknown };

  const mirror = mirrorThenStopUpstream({
    startUpstream: () => startNpmCorpusVerdaccio(),
    async beforeStop(upstream) {
      upstreamExpress = (await (await fetch(`${upstream.url}/express`)).json()).versions['4.21.2'];
      upstreamJestCli = (await (await fetch(`${upstream.url}/jest-cli`)).json()).versions['29.7.0'];
    },
    processors: upstream => ({ npm: { registry: upstream.url } }),
    roots: [
      { processor: 'npm', id: 'express', filter: '4.21.2' },
      { processor: 'npm', id: 'jest', filter: '29.7.0' },
    ],
  });

  it('collected every file of both closures', () => {
    expect(mirror.counts.collected).toBeGreaterThanOrEqual(339);
    expect(mirror.counts.failed ?? 0).toBe(0);
    expect(mirror.counts.parked ?? 0).toBe(0);
  });

  it('installs express and jest with npm, an empty cache and the upstream stopped', async () => {
    const project = await npmInstallFromView(mirror.backend.baseUrl, mirror.work, ['express@4.21.2', 'jest@29.7.0']);
    const registry = `${mirror.backend.baseUrl}/npm/`;

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
    const res = await request(mirror.backend.server).get('/api/backpack/npm/express').set(auth);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.versions)).toEqual(['4.21.2']);
    // The upstream's latest (5.x) is not mirrored.
    expect(res.body['dist-tags']).toEqual({ latest: '4.21.2' });
    const version = res.body.versions['4.21.2'];
    // Only the strongest upstream digest is stored, so no sha1 shasum here.
    expect(version.dist).toEqual({
      tarball: `${mirror.backend.baseUrl}/npm/express/-/4.21.2/express-4.21.2.tgz`,
      integrity: upstreamExpress.dist.integrity,
    });
    expect(version.dependencies).toMatchObject({ 'body-parser': '1.20.3', qs: '6.13.0' });

    const cli = await request(mirror.backend.server).get('/api/backpack/npm/jest-cli').set(auth);
    expect(cli.body.versions['29.7.0'].bin).toEqual(upstreamJestCli.bin);
  });

  it('serves scoped packages under both spellings, and their tarballs with HEAD', async () => {
    const encoded = await request(mirror.backend.server).get('/api/backpack/npm/@jest%2fcore').set(auth);
    const plain = await request(mirror.backend.server).get('/api/backpack/npm/@jest/core').set(auth);
    expect(encoded.status).toBe(200);
    expect(plain.body).toEqual(encoded.body);
    const tarball: string = encoded.body.versions['29.7.0'].dist.tarball;
    expect(tarball).toBe(`${mirror.backend.baseUrl}/npm/@jest/core/-/29.7.0/core-29.7.0.tgz`);

    // The URL of earlier packuments, without the version, still answers
    // where only one version has a file of that name.
    await expectTarballServed(
      mirror.backend.server,
      new URL(tarball).pathname,
      '/api/backpack/npm/@jest/core/-/core-29.7.0.tgz',
    );
  });

  it('answers 404 for packages, versions and files that are not collected', async () => {
    const notMirrored = await request(mirror.backend.server).get('/api/backpack/npm/left-pad').set(auth);
    expect(notMirrored.status).toBe(404);
    const otherVersion = await request(mirror.backend.server)
      .get('/api/backpack/npm/express/-/express-5.3.0.tgz')
      .set(auth);
    expect(otherVersion.status).toBe(404);
  });

  it('asks for credentials, and takes a token as bearer or as basic-auth password', async () => {
    await expectCredentialsAsked(mirror.backend.server, '/api/backpack/npm/express');
  });
});
