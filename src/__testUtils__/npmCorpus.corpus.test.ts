import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
// The capture script is plain JavaScript, run with node by whoever rebuilds a corpus.
import { captureNpmCorpus } from '../../scripts/capture-npm-corpus';
import { readNpmClosure, startNpmCorpusVerdaccio } from './npmCorpus';
import { TestNpmRegistry } from './verdaccio';

// scripts/capture-npm-corpus.js, run against the frozen corpus as if it were
// npmjs.org, captures the same closures the corpus lists.

describe('capture-npm-corpus over the npm corpus', () => {
  let corpus: TestNpmRegistry;
  let out: string;

  beforeAll(async () => {
    corpus = await startNpmCorpusVerdaccio();
    out = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-capture-'));
  });

  afterAll(async () => {
    await corpus?.stop();
    await fs.rm(out, { recursive: true, force: true });
  });

  it('reproduces the closure lists of express and jest', async () => {
    await captureNpmCorpus({ registry: corpus.url, roots: ['express@4.21.2', 'jest@29.7.0'], out });
    expect(await readNpmClosure('express', out)).toEqual(await readNpmClosure('express'));
    expect(await readNpmClosure('jest', out)).toEqual(await readNpmClosure('jest'));
  });
});
