import fs from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { generateNpmPackageSet } from '../__testUtils__/npmPackageSet';
import { npmInstallFromView, STATIC_TOKEN } from '../__testUtils__/serveBackend';
import { startVerdaccio } from '../__testUtils__/verdaccio';
import { expectCredentialsAsked, expectTarballServed } from './__testUtils__/npmViewChecks';
import { mirrorThenStopUpstream } from './__testUtils__/offlineMirror';

// Acceptance test of the npm view: a generated closure (scoped packages,
// aliases, peers, optionals, a command) mirrored from verdaccio, verdaccio
// stopped, then the real npm installs it from the view with an empty cache
// and nothing else to reach. npmView.corpus.test.ts does the same with the
// real express and jest.

const auth = { Authorization: `Bearer ${STATIC_TOKEN}` };
const generated = generateNpmPackageSet();
const { name: rootName, version: rootVersion } = generated.root;
const bare = (name: string) => name.replace(/^@[^/]+\//, '');
const published = (name: string) => generated.packages.find(p => p.name === name)!;
const pairOf = (entry: { name?: string; version: string }, location: string) =>
  `${entry.name ?? location.slice(location.lastIndexOf('node_modules/') + 13)}@${entry.version}`;

describe('npm registry view', () => {
  /** The root's version as verdaccio served it, before it stopped. */
  let upstreamRoot: { dist: { integrity: string }; bin: unknown };

  const mirror = mirrorThenStopUpstream({
    startUpstream: () => startVerdaccio(generated.packages),
    async beforeStop(upstream) {
      upstreamRoot = (await (await fetch(`${upstream.url}/${rootName}`)).json()).versions[rootVersion];
    },
    processors: upstream => ({ npm: { registry: upstream.url } }),
    roots: [{ processor: 'npm', id: rootName, filter: rootVersion }],
  });

  it('collected every file of the closure', () => {
    expect(mirror.counts.collected).toBe(generated.closure.length);
    expect(mirror.counts.failed ?? 0).toBe(0);
    expect(mirror.counts.parked ?? 0).toBe(0);
  });

  it('installs the root with npm, an empty cache and the upstream stopped, from the closure only', async () => {
    const project = await npmInstallFromView(mirror.backend.baseUrl, mirror.work, [`${rootName}@${rootVersion}`]);
    const registry = `${mirror.backend.baseUrl}/npm/`;

    const installed = JSON.parse(
      await fs.readFile(path.join(project, 'node_modules', rootName, 'package.json'), 'utf8'),
    ).version;
    expect(installed).toBe(rootVersion);
    // bin comes from the manifest read out of the stored tarball.
    await expect(fs.access(path.join(project, 'node_modules', '.bin', rootName))).resolves.toBeUndefined();
    const lock = JSON.parse(await fs.readFile(path.join(project, 'package-lock.json'), 'utf8'));
    expect(lock.packages[`node_modules/${rootName}`]).toMatchObject({
      resolved: `${registry}${rootName}/-/${rootVersion}/${rootName}-${rootVersion}.tgz`,
      integrity: upstreamRoot.dist.integrity,
    });
    // npm chose only versions of the closure (it may dedupe some away), an
    // aliased one under its alias, and no optional peer.
    const pairs = Object.entries(lock.packages as Record<string, { name?: string; version: string }>)
      .filter(([location]) => location.startsWith('node_modules/'))
      .map(([location, entry]) => pairOf(entry, location));
    expect(pairs.filter(pair => !generated.closure.includes(pair))).toEqual([]);
    // Every package of the closure is there, in one version at least.
    expect(new Set(pairs.map(pair => pair.slice(0, pair.lastIndexOf('@')))).size).toBe(generated.names.length);
    const aliases = Object.entries(lock.packages as Record<string, { name?: string }>).filter(
      ([location, entry]) => entry.name && !location.endsWith(`node_modules/${entry.name}`),
    );
    expect(aliases.length).toBeGreaterThan(0);
  }, 180_000);

  it('serves a packument of the mirrored versions with upstream digests and recomputed dist-tags', async () => {
    const res = await request(mirror.backend.server).get(`/api/backpack/npm/${rootName}`).set(auth);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.versions)).toEqual([rootVersion]);
    // The upstream's latest is not mirrored.
    expect(published(rootName).distTags!.latest).not.toBe(rootVersion);
    expect(res.body['dist-tags']).toEqual({ latest: rootVersion });
    const version = res.body.versions[rootVersion];
    // Only the strongest upstream digest is stored, so no sha1 shasum here.
    expect(version.dist).toEqual({
      tarball: `${mirror.backend.baseUrl}/npm/${rootName}/-/${rootVersion}/${rootName}-${rootVersion}.tgz`,
      integrity: upstreamRoot.dist.integrity,
    });
    expect(version.dependencies).toEqual(published(rootName).versions[rootVersion].dependencies);
    expect(version.bin).toEqual(upstreamRoot.bin);
  });

  it('serves scoped packages under both spellings, and their tarballs with HEAD', async () => {
    const scopedPair = generated.closure.find(pair => pair.startsWith('@'))!;
    const at = scopedPair.lastIndexOf('@');
    const [scoped, scopedVersion] = [scopedPair.slice(0, at), scopedPair.slice(at + 1)];
    const encoded = await request(mirror.backend.server)
      .get(`/api/backpack/npm/${scoped.replace('/', '%2f')}`)
      .set(auth);
    const plain = await request(mirror.backend.server).get(`/api/backpack/npm/${scoped}`).set(auth);
    expect(encoded.status).toBe(200);
    expect(plain.body).toEqual(encoded.body);
    const tarball: string = encoded.body.versions[scopedVersion].dist.tarball;
    const file = `${bare(scoped)}-${scopedVersion}.tgz`;
    expect(tarball).toBe(`${mirror.backend.baseUrl}/npm/${scoped}/-/${scopedVersion}/${file}`);

    // The URL of earlier packuments, without the version, still answers
    // where only one version has a file of that name.
    await expectTarballServed(
      mirror.backend.server,
      new URL(tarball).pathname,
      `/api/backpack/npm/${scoped}/-/${file}`,
    );
  });

  it('answers 404 for packages, versions and files that are not collected', async () => {
    const notMirrored = generated.packages.find(p => !generated.names.includes(p.name))!;
    const res = await request(mirror.backend.server).get(`/api/backpack/npm/${notMirrored.name}`).set(auth);
    expect(res.status).toBe(404);
    const latest = published(rootName).distTags!.latest;
    const otherVersion = await request(mirror.backend.server)
      .get(`/api/backpack/npm/${rootName}/-/${rootName}-${latest}.tgz`)
      .set(auth);
    expect(otherVersion.status).toBe(404);
  });

  it('asks for credentials, and takes a token as bearer or as basic-auth password', async () => {
    await expectCredentialsAsked(mirror.backend.server, `/api/backpack/npm/${rootName}`);
  });
});
