import { TestDatabases } from '@backstage/backend-test-utils';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { gitBlobId, treeEntryOf } from '../__testUtils__/fakeHub';
import { serveExportedBundle, ServedBundle } from './__testUtils__/servedBundle';

// The Hugging Face side of a bundle: each commit a snapshot folder with
// the files in their sub-folders, its revision document listing what the
// far side checks them against, and the refs of the branches and tags.

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const MAIN = 'a1'.repeat(20);
const OLD = 'b2'.repeat(20);

const config = Buffer.from('{"model_type":"demo"}\n');
const weights = Buffer.from('weights '.repeat(300));
const tokenizer = Buffer.from('{"vocab":{}}\n');
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const record = (sha: string, revisions: string[]) => JSON.stringify({ sha, revisions, lastModified: '2026-11-01T10:00:00.000Z' });

describe('a bundle of Hugging Face repositories', () => {
  let bundle: ServedBundle | undefined;

  afterAll(async () => {
    await bundle?.stop();
  });

  it('holds snapshot folders per commit, revision documents and refs', async () => {
    bundle = await serveExportedBundle({
      knex: await databases.init('SQLITE_3'),
      processor: 'huggingface',
      async seed(seeder) {
        await seeder.seed('huggingface', 'org/model', {
          [MAIN]: {
            files: [
              { path: `org/model/${MAIN}/config.json`, content: config, integrity: { algorithm: 'git-blob-sha1', digest: gitBlobId(config) } },
              { path: `org/model/${MAIN}/model.safetensors`, content: weights, integrity: { algorithm: 'sha256', digest: sha256(weights) } },
              {
                path: `org/model/${MAIN}/sub%2Ffolder%2Ftokenizer.json`,
                content: tokenizer,
                integrity: { algorithm: 'git-blob-sha1', digest: gitBlobId(tokenizer) },
              },
            ],
            metadata: record(MAIN, ['main']),
          },
          [OLD]: {
            files: [{ path: `org/model/${OLD}/config.json`, content: Buffer.from('{}'), integrity: { algorithm: 'git-blob-sha1', digest: gitBlobId(Buffer.from('{}')) } }],
            metadata: record(OLD, ['v0.1']),
          },
        });
        await seeder.seed('huggingface', 'datasets/org/data', {
          [MAIN]: {
            files: [{ path: `datasets/org/data/${MAIN}/train.csv`, content: Buffer.from('a,b\n'), integrity: { algorithm: 'sha256', digest: sha256(Buffer.from('a,b\n')) } }],
            metadata: record(MAIN, ['main']),
          },
        });
      },
    });
    const root = path.join(bundle.work, 'root', 'huggingface');
    const snapshot = path.join(root, 'org', 'model', MAIN);
    expect(await fs.readFile(path.join(snapshot, 'config.json'))).toEqual(config);
    expect(await fs.readFile(path.join(snapshot, 'model.safetensors'))).toEqual(weights);
    expect(await fs.readFile(path.join(snapshot, 'sub', 'folder', 'tokenizer.json'))).toEqual(tokenizer);
    expect(await fs.readFile(path.join(root, 'org', 'model', OLD, 'config.json'), 'utf8')).toBe('{}');
    expect(await fs.readFile(path.join(root, 'datasets', 'org', 'data', MAIN, 'train.csv'), 'utf8')).toBe('a,b\n');

    expect(await fs.readFile(path.join(root, 'org', 'model', 'refs', 'main'), 'utf8')).toBe(MAIN);
    expect(await fs.readFile(path.join(root, 'org', 'model', 'refs', 'v0.1'), 'utf8')).toBe(OLD);

    // The revision document lists each file as the Hub does: what the far side verifies the snapshot with.
    const document = JSON.parse(await fs.readFile(path.join(root, 'org', 'model', 'revisions', `${MAIN}.json`), 'utf8'));
    expect(document).toMatchObject({ id: 'org/model', sha: MAIN, lastModified: '2026-11-01T10:00:00.000Z' });
    const expected = [
      { path: 'config.json', body: config },
      { path: 'model.safetensors', body: weights, lfs: true },
      { path: 'sub/folder/tokenizer.json', body: tokenizer },
    ].map(treeEntryOf);
    expect([...document.siblings].sort((a, b) => a.rfilename.localeCompare(b.rfilename))).toEqual(
      expected.map(e => ({
        rfilename: e.path,
        size: e.size,
        blobId: e.oid,
        ...(e.lfs ? { lfs: { sha256: e.lfs.oid, size: e.lfs.size, pointerSize: e.lfs.pointerSize } } : {}),
      })),
    );
    const data = JSON.parse(await fs.readFile(path.join(root, 'datasets', 'org', 'data', 'revisions', `${MAIN}.json`), 'utf8'));
    expect(data).toMatchObject({ id: 'org/data', sha: MAIN });
    expect(data.modelId).toBeUndefined();

    // Served by a static web server nobody wrote for Backpack.
    const served = await fetch(`${bundle.server.url}huggingface/org/model/${MAIN}/sub/folder/tokenizer.json`);
    expect(Buffer.from(await served.arrayBuffer())).toEqual(tokenizer);
  });
});
