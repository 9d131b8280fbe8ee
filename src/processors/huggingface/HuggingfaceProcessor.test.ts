import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { FakeHub, FakeHubRepo, gitBlobId } from '../../__testUtils__/fakeHub';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { fresh } from '../__testUtils__/discoveryResults';
import { BackpackProcessor } from '../types';
import { createHuggingfaceProcessor } from './HuggingfaceProcessor';
import { parseRevisionRecord } from './revisionRecord';

const logger = mockServices.logger.mock();
const MAIN = 'a'.repeat(40);
const V1 = 'b'.repeat(40);
const GATED = 'c'.repeat(40);

const config = Buffer.from('{"model_type":"demo"}\n');
const weights = Buffer.from('pretend safetensors '.repeat(100));
const nested = Buffer.from('{"sub":true}\n');

const REPOS: FakeHubRepo[] = [
  {
    id: 'org/model',
    revisions: { main: MAIN, 'v1.0': V1, 'refs/pr/1': V1 },
    commits: {
      [MAIN]: [
        { path: '.gitattributes', body: Buffer.from('*.safetensors filter=lfs\n') },
        { path: 'config.json', body: config },
        { path: 'model.safetensors', body: weights, lfs: true },
        { path: 'sub/folder/extra.json', body: nested },
        { path: 'pytorch_model.bin', body: Buffer.from('pickle'), lfs: true },
      ],
      [V1]: [{ path: 'config.json', body: Buffer.from('{}') }],
    },
  },
  { id: 'datasets/org/data', revisions: { main: MAIN }, commits: { [MAIN]: [{ path: 'train.csv', body: Buffer.from('a,b\n') }] } },
  { id: 'org/gated', gated: true, revisions: { main: GATED }, commits: { [GATED]: [{ path: 'x.json', body: config }] } },
];

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('createHuggingfaceProcessor', () => {
  let hub: FakeHub;
  const processor = (extra: JsonObject = {}): BackpackProcessor =>
    createHuggingfaceProcessor({
      config: new ConfigReader({ endpoint: hub.url, downloadHosts: [hub.cdnHost], ...extra }),
      upstream: new UpstreamClient({ retries: 0 }),
    });
  const discover = (p: BackpackProcessor, id: string, artifactConfig: JsonObject = {}) =>
    p.discover({ id, config: artifactConfig }, { logger });

  beforeAll(async () => {
    hub = await FakeHub.start(REPOS);
  });
  afterAll(() => hub.stop());
  beforeEach(() => {
    hub.requests.length = 0;
  });

  it('resolves main to its commit and lists every file, over pages, with its digest and a one-segment name', async () => {
    const result = fresh(await discover(processor(), 'org/model'));
    expect(result.tags).toEqual({ main: MAIN });
    expect(result.versions).toHaveLength(1);
    const [version] = result.versions;
    expect(version.version).toBe(MAIN);
    expect(version.publishedAt).toBe('2026-11-01T10:00:00.000Z');
    expect(version.dependencies).toEqual([]);
    expect(parseRevisionRecord(version.metadata)).toEqual({
      sha: MAIN,
      revisions: ['main'],
      lastModified: '2026-11-01T10:00:00.000Z',
    });
    const byName = Object.fromEntries(version.files.map(f => [f.name, f]));
    expect(Object.keys(byName).sort()).toEqual([
      '.gitattributes',
      'config.json',
      'model.safetensors',
      'pytorch_model.bin',
      'sub%2Ffolder%2Fextra.json',
    ]);
    expect(byName['model.safetensors']).toEqual({
      name: 'model.safetensors',
      uri: `${hub.url}/org/model/resolve/${MAIN}/model.safetensors`,
      path: `org/model/${MAIN}/model.safetensors`,
      integrity: { algorithm: 'sha256', digest: sha256(weights) },
      size: weights.length,
    });
    expect(byName['sub%2Ffolder%2Fextra.json']).toEqual({
      name: 'sub%2Ffolder%2Fextra.json',
      uri: `${hub.url}/org/model/resolve/${MAIN}/sub/folder/extra.json`,
      path: `org/model/${MAIN}/sub/folder/extra.json`,
      integrity: { algorithm: 'git-blob-sha1', digest: gitBlobId(nested) },
      size: nested.length,
    });
    // Five files, two per page: three pages along the Link headers.
    expect(hub.requests.filter(r => r.path.includes('/tree/')).map(r => r.path)).toEqual([
      `/api/models/org/model/tree/${MAIN}?recursive=true&expand=false`,
      `/api/models/org/model/tree/${MAIN}?recursive=true&expand=false&cursor=2`,
      `/api/models/org/model/tree/${MAIN}?recursive=true&expand=false&cursor=4`,
    ]);
  });

  it('mirrors each configured revision as its commit, tagged with the revision names', async () => {
    const result = fresh(
      await discover(processor(), 'org/model', { revisions: ['main', 'v1.0', MAIN], include: ['*.json'] }),
    );
    expect(result.tags).toEqual({ main: MAIN, 'v1.0': V1, [MAIN]: MAIN });
    expect(result.versions.map(v => [v.version, parseRevisionRecord(v.metadata)?.revisions])).toEqual([
      [MAIN, ['main', MAIN]],
      [V1, ['v1.0']],
    ]);
  });

  it('keeps only the files the include globs match and the exclude globs do not, in any folder', async () => {
    const names = async (artifactConfig: JsonObject) =>
      fresh(await discover(processor(), 'org/model', artifactConfig)).versions[0].files.map(f => f.name).sort();
    expect(await names({ include: ['*.safetensors', '*.json'] })).toEqual([
      'config.json',
      'model.safetensors',
      'sub%2Ffolder%2Fextra.json',
    ]);
    expect(await names({ include: ['*.json'], exclude: ['sub/'] })).toEqual(['config.json']);
    expect(await names({ include: ['sub/**'] })).toEqual(['sub%2Ffolder%2Fextra.json']);
    expect(await names({ exclude: ['*.bin', '.git*'] })).toEqual([
      'config.json',
      'model.safetensors',
      'sub%2Ffolder%2Fextra.json',
    ]);
  });

  it('reads datasets under datasets/ and their files under /datasets/', async () => {
    const [version] = fresh(await discover(processor(), 'datasets/org/data')).versions;
    expect(version.files[0].uri).toBe(`${hub.url}/datasets/org/data/resolve/${MAIN}/train.csv`);
    expect(version.files[0].path).toBe(`datasets/org/data/${MAIN}/train.csv`);
    expect(hub.requests[0].path).toBe('/api/datasets/org/data/revision/main');
  });

  it('needs the token for a gated repository, and sends it to the Hub only', async () => {
    await expect(discover(processor(), 'org/gated')).rejects.toThrow(
      /answered 401: the repository is private or gated \(token: backpack.processors.huggingface.token\)/,
    );
    const result = fresh(await discover(processor({ token: hub.token }), 'org/gated'));
    expect(result.versions[0].files.map(f => f.name)).toEqual(['x.json']);
    expect(hub.requests.filter(r => r.status === 200).every(r => r.authorization === `Bearer ${hub.token}`)).toBe(
      true,
    );
  });

  it('answers NotFoundError for an unknown repository or revision, and skips one missing revision of several', async () => {
    await expect(discover(processor(), 'org/none')).rejects.toThrow(NotFoundError);
    await expect(discover(processor(), 'org/model', { revisions: ['gone'] })).rejects.toThrow(
      /none of the revisions gone exists/,
    );
    const result = fresh(await discover(processor(), 'org/model', { revisions: ['gone', 'v1.0'] }));
    expect(result.versions.map(v => v.version)).toEqual([V1]);
  });

  it('validates ids and configs', () => {
    const p = processor();
    expect(p.normalizeId!('org/model')).toBe('org/model');
    expect(p.normalizeId!('models/org/model')).toBe('org/model');
    expect(p.normalizeId!('datasets/org/data')).toBe('datasets/org/data');
    expect(p.normalizeId!('gpt2')).toBe('gpt2');
    for (const bad of ['org/../x', 'a/b/c', 'org/-x', 'org/x--y', 'org/', 'org/a b', 'datasets/a/b/c']) {
      expect(() => p.normalizeId!(bad)).toThrow(InputError);
    }
    expect(p.configSchema.safeParse({ revisions: ['main', 'refs/pr/1', MAIN] }).success).toBe(true);
    for (const bad of [{ revisions: ['../main'] }, { revisions: [] }, { include: [''] }, { repoType: 'x' }]) {
      expect(p.configSchema.safeParse(bad).success).toBe(false);
    }
  });

  it('allows the Hub and its download hosts, refusing an endpoint that is no URL', () => {
    expect(processor().allowedHosts!()).toEqual([new URL(hub.url).host, hub.cdnHost]);
    expect(() => processor({ endpoint: 'ftp://x' })).toThrow(/endpoint: must be an http\(s\) URL/);
  });

  it('resolves revisions with slashes, encoded as one path segment', async () => {
    const result = fresh(await discover(processor(), 'org/model', { revisions: ['refs/pr/1'] }));
    expect(result.tags).toEqual({ 'refs/pr/1': V1 });
    expect(hub.requests[0].path).toBe('/api/models/org/model/revision/refs%2Fpr%2F1');
  });
});

describe('createHuggingfaceProcessor against a hostile Hub', () => {
  let server: http.Server;
  let url: string;
  let tree: unknown;
  let link: string | undefined;
  let sha: unknown = MAIN;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path.endsWith('/revision/main')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sha }));
      } else if (path.includes('/tree/')) {
        res.writeHead(200, { 'content-type': 'application/json', ...(link ? { link } : {}) }).end(JSON.stringify(tree));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>(resolve => server.close(() => resolve())));

  const discover = () =>
    createHuggingfaceProcessor({
      config: new ConfigReader({ endpoint: url }),
      upstream: new UpstreamClient({ retries: 0 }),
    }).discover({ id: 'org/model', config: {} }, { logger });

  it('drops malformed entries with a warning and keeps the rest', async () => {
    sha = MAIN;
    link = undefined;
    const good = { type: 'file', path: 'ok.json', size: 2, oid: gitBlobId(Buffer.from('{}')) };
    tree = [
      good,
      { type: 'directory', path: 'sub', oid: 'f'.repeat(40) },
      { type: 'file', path: '../escape', size: 1, oid: 'a'.repeat(40) },
      { type: 'file', path: 'a//b', size: 1, oid: 'a'.repeat(40) },
      { type: 'file', path: 'nooid', size: 1 },
      { type: 'file', path: 'neg', size: -1, oid: 'a'.repeat(40) },
      { type: 'file', path: 'badlfs', size: 1, oid: 'a'.repeat(40), lfs: { oid: 'xyz', size: 1 } },
      'junk',
    ];
    const warn = jest.spyOn(logger, 'warn');
    const [version] = fresh(await discover()).versions;
    expect(version.files.map(f => f.name)).toEqual(['ok.json']);
    expect(warn.mock.calls.map(([message]) => message).filter(m => String(m).includes('dropping'))).toHaveLength(6);
  });

  it('refuses a commit that is no sha, a listing that is no list, and a next page elsewhere', async () => {
    sha = 'main';
    await expect(discover()).rejects.toThrow(/sha is not a 40-digit commit id/);
    sha = MAIN;
    tree = { files: [] };
    await expect(discover()).rejects.toThrow(/the listing is not a list/);
    tree = [];
    link = `<${url}/api/models/other/repo/tree/${MAIN}?cursor=1>; rel="next"`;
    await expect(discover()).rejects.toThrow(/the next page is not this listing/);
    link = undefined;
  });

  it('stops at maxFiles', async () => {
    tree = Array.from({ length: 3 }, (_, i) => ({ type: 'file', path: `f${i}`, size: 1, oid: 'a'.repeat(40) }));
    const processor = createHuggingfaceProcessor({
      config: new ConfigReader({ endpoint: url, maxFiles: 2 }),
      upstream: new UpstreamClient({ retries: 0 }),
    });
    await expect(processor.discover({ id: 'org/model', config: {} }, { logger })).rejects.toThrow(
      /more than 2 files \(backpack.processors.huggingface.maxFiles\)/,
    );
  });
});
