import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
// The capture script is plain JavaScript, run with node by whoever rebuilds a corpus.
import { captureNpmCorpus } from '../../scripts/capture-npm-corpus';
import { readNpmClosure, startNpmCorpusVerdaccio } from './npmCorpus';
import { generateNpmPackageSet } from './npmPackageSet';
import { startVerdaccio, TestNpmRegistry } from './verdaccio';

// scripts/capture-npm-corpus.js against a generated registry instead of
// npmjs.org: it must write what the corpus suites read.

describe('capture-npm-corpus', () => {
  const generated = generateNpmPackageSet({ prefix: 'cap' });
  const { name, version } = generated.root;
  let upstream: TestNpmRegistry;
  let captured: TestNpmRegistry | undefined;
  let out: string;

  beforeAll(async () => {
    upstream = await startVerdaccio(generated.packages);
    out = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-capture-'));
  });

  afterAll(async () => {
    await captured?.stop();
    await upstream?.stop();
    await fs.rm(out, { recursive: true, force: true });
  });

  it('captures the closure of a root into an archive the corpus suites serve', async () => {
    const perRoot = await captureNpmCorpus({ registry: upstream.url, roots: [`${name}@${version}`], out });
    expect(perRoot[`${name}@${version}`]).toEqual(generated.closure);
    expect(await readNpmClosure(name, out)).toEqual(generated.closure);

    captured = await startNpmCorpusVerdaccio(out);
    const packument = await (await fetch(`${captured.url}/${name}`)).json();
    // Complete packuments: every version, though only the closure's tarballs.
    const published = generated.packages.find(p => p.name === name)!;
    expect(Object.keys(packument.versions).sort()).toEqual(Object.keys(published.versions).sort());
    const dist = packument.versions[version].dist;
    const tarball = await fetch(dist.tarball);
    expect(tarball.status).toBe(200);
    const digest = createHash('sha512').update(Buffer.from(await tarball.arrayBuffer())).digest('base64');
    expect(`sha512-${digest}`).toBe(dist.integrity);
    const outside = await fetch(packument.versions[published.distTags!.latest].dist.tarball);
    // Not in the corpus; verdaccio fails it as it fails the real corpus's.
    expect(outside.status).toBeGreaterThanOrEqual(400);
    await outside.arrayBuffer().catch(() => undefined);
  });

  it('says where a missing corpus should be', async () => {
    await expect(startNpmCorpusVerdaccio(path.join(out, 'nowhere'))).rejects.toThrow(
      /npm corpus file .*npm-corpus\.tar\.gz not found.*BACKPACK_NPM_CORPUS_DIR/,
    );
  });
});
