import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { generateNpmPackageSet } from '../__testUtils__/npmPackageSet';
import {
  npmInstallFromView,
  ServeTestBackend,
  startServeBackend,
  STATIC_TOKEN,
} from '../__testUtils__/serveBackend';
import { startVerdaccio, TestNpmRegistry } from '../__testUtils__/verdaccio';

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
  let verdaccio: TestNpmRegistry | undefined;
  let backend: ServeTestBackend;
  let work: string;
  /** The root's version as verdaccio served it, before it stopped. */
  let upstreamRoot: { dist: { integrity: string }; bin: unknown };
  let counts: Record<string, number>;

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-npm-view-'));
    const upstream = await startVerdaccio(generated.packages);
    verdaccio = upstream;
    upstreamRoot = (await (await fetch(`${upstream.url}/${rootName}`)).json()).versions[rootVersion];
    backend = await startServeBackend({
      processors: { npm: { registry: upstream.url } },
      allowedHosts: [new URL(upstream.url).host],
    });
    await backend.addRoot({ processor: 'npm', id: rootName, filter: rootVersion });
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

  it('collected every file of the closure', () => {
    expect(counts.collected).toBe(generated.closure.length);
    expect(counts.failed ?? 0).toBe(0);
    expect(counts.parked ?? 0).toBe(0);
  });

  it('installs the root with npm, an empty cache and the upstream stopped, from the closure only', async () => {
    const project = await npmInstallFromView(backend.baseUrl, work, [`${rootName}@${rootVersion}`]);
    const registry = `${backend.baseUrl}/npm/`;

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
    const res = await request(backend.server).get(`/api/backpack/npm/${rootName}`).set(auth);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.versions)).toEqual([rootVersion]);
    // The upstream's latest is not mirrored.
    expect(published(rootName).distTags!.latest).not.toBe(rootVersion);
    expect(res.body['dist-tags']).toEqual({ latest: rootVersion });
    const version = res.body.versions[rootVersion];
    // Only the strongest upstream digest is stored, so no sha1 shasum here.
    expect(version.dist).toEqual({
      tarball: `${backend.baseUrl}/npm/${rootName}/-/${rootVersion}/${rootName}-${rootVersion}.tgz`,
      integrity: upstreamRoot.dist.integrity,
    });
    expect(version.dependencies).toEqual(published(rootName).versions[rootVersion].dependencies);
    expect(version.bin).toEqual(upstreamRoot.bin);
  });

  it('serves scoped packages under both spellings, and their tarballs with HEAD', async () => {
    const scopedPair = generated.closure.find(pair => pair.startsWith('@'))!;
    const at = scopedPair.lastIndexOf('@');
    const [scoped, scopedVersion] = [scopedPair.slice(0, at), scopedPair.slice(at + 1)];
    const encoded = await request(backend.server)
      .get(`/api/backpack/npm/${scoped.replace('/', '%2f')}`)
      .set(auth);
    const plain = await request(backend.server).get(`/api/backpack/npm/${scoped}`).set(auth);
    expect(encoded.status).toBe(200);
    expect(plain.body).toEqual(encoded.body);
    const tarball: string = encoded.body.versions[scopedVersion].dist.tarball;
    const file = `${bare(scoped)}-${scopedVersion}.tgz`;
    expect(tarball).toBe(`${backend.baseUrl}/npm/${scoped}/-/${scopedVersion}/${file}`);

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
      .head(`/api/backpack/npm/${scoped}/-/${file}`)
      .set(auth);
    expect(earlier.status).toBe(200);
    expect(earlier.headers['content-length']).toBe(head.headers['content-length']);
  });

  it('answers 404 for packages, versions and files that are not collected', async () => {
    const notMirrored = generated.packages.find(p => !generated.names.includes(p.name))!;
    const res = await request(backend.server).get(`/api/backpack/npm/${notMirrored.name}`).set(auth);
    expect(res.status).toBe(404);
    const latest = published(rootName).distTags!.latest;
    const otherVersion = await request(backend.server)
      .get(`/api/backpack/npm/${rootName}/-/${rootName}-${latest}.tgz`)
      .set(auth);
    expect(otherVersion.status).toBe(404);
  });

  it('asks for credentials, and takes a token as bearer or as basic-auth password', async () => {
    const anonymous = await request(backend.server).get(`/api/backpack/npm/${rootName}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic /);
    const wrong = await request(backend.server)
      .get(`/api/backpack/npm/${rootName}`)
      .set('Authorization', 'Bearer not-a-token');
    expect(wrong.status).toBe(401);
    const basic = await request(backend.server)
      .get(`/api/backpack/npm/${rootName}`)
      .auth('anyone', STATIC_TOKEN);
    expect(basic.status).toBe(200);
  });
});
