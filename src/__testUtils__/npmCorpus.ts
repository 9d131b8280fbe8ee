import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { serveVerdaccio, TestNpmRegistry } from './verdaccio';

// The frozen real npm corpus (express and jest closures) is not part of the
// repository. Only the `*.corpus.test.ts` suites (`npm run test:corpus`)
// use it; `npm test` builds its registries from generated packages.

/**
 * Where the corpus lives: `BACKPACK_NPM_CORPUS_DIR` when set, otherwise
 * `shared/fixtures` beside the repository (as CI has it). See the README
 * for how to obtain or rebuild one with `scripts/capture-npm-corpus.js`.
 */
export const npmCorpusDir = path.resolve(
  process.env.BACKPACK_NPM_CORPUS_DIR ?? path.join(__dirname, '../../../shared/fixtures'),
);

async function requireCorpus(file: string): Promise<string> {
  await fs.access(file).catch(() => {
    throw new Error(
      `npm corpus file ${file} not found: the corpus suites need it; set BACKPACK_NPM_CORPUS_DIR ` +
        'or see "The real-world suite" in the README',
    );
  });
  return file;
}

/** The `name@version` pairs of a closure list of the npm corpus, sorted. */
export async function readNpmClosure(name: string, dir = npmCorpusDir): Promise<string[]> {
  const file = await requireCorpus(path.join(dir, `npm-corpus.${name}.closure.txt`));
  const text = await fs.readFile(file, 'utf8');
  return text.split('\n').filter(Boolean).sort();
}

/**
 * Starts verdaccio over a fresh copy of the frozen npm corpus (express and
 * jest closures, real packuments), with no uplinks. Synthetic packages can
 * be published next to it.
 */
export async function startNpmCorpusVerdaccio(dir = npmCorpusDir): Promise<TestNpmRegistry> {
  const archive = await requireCorpus(path.join(dir, 'npm-corpus.tar.gz'));
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-verdaccio-'));
  try {
    await promisify(execFile)('tar', ['-xzf', archive, '-C', root]);
  } catch (error) {
    await fs.rm(root, { recursive: true, force: true });
    throw error;
  }
  // The archive holds a verdaccio storage directory named `small/`.
  return serveVerdaccio(root, path.join(root, 'small'));
}
