import { createHash } from 'node:crypto';
import { zipArchive } from '../../__testUtils__/zipArchive';
import { hash1 } from './dirhash';
import { parseGoMod } from './goMod';
import { GoModFile } from './goMod';
import { loadModuleClosure } from './moduleGraph';
import { moduleZipHash } from './moduleZip';

describe('parseGoMod', () => {
  it('reads module, go, require blocks with indirect comments, exclude, retract; skips replace', () => {
    const mod = parseGoMod(
      [
        '// a comment',
        'module "example.com/m"',
        'go 1.21',
        'toolchain go1.21.5',
        'require example.com/a v1.0.0',
        'require (',
        '\texample.com/b v1.2.0 // indirect',
        '\texample.com/c v0.0.0-20240101120000-abcdef123456 // indirect; used by tests',
        ')',
        'exclude example.com/a v1.1.0',
        'replace example.com/b => ../b',
        'retract (',
        '\tv1.0.1 // oops',
        '\t[v1.1.0, v1.1.5]',
        ')',
      ].join('\n'),
      'go.mod',
    );
    expect(mod).toEqual({
      module: 'example.com/m',
      go: '1.21',
      require: [
        { path: 'example.com/a', version: 'v1.0.0', indirect: false },
        { path: 'example.com/b', version: 'v1.2.0', indirect: true },
        { path: 'example.com/c', version: 'v0.0.0-20240101120000-abcdef123456', indirect: true },
      ],
      exclude: [{ path: 'example.com/a', version: 'v1.1.0' }],
      retract: [
        { low: 'v1.0.1', high: 'v1.0.1' },
        { low: 'v1.1.0', high: 'v1.1.5' },
      ],
    });
  });

  it('names the file and line of what it cannot read', () => {
    expect(() => parseGoMod('module m\nrequire example.com/a latest\n', 'm@v1 go.mod')).toThrow(
      "m@v1 go.mod:2: 'latest' is not a canonical module version",
    );
    expect(() => parseGoMod('require (\n', 'x')).toThrow('x: unterminated require block');
    expect(() => parseGoMod('require example.com/../../x v1.0.0\n', 'x')).toThrow(/x:1: 'example.com\/..\/..\/x' is not a module path/);
    expect(() => parseGoMod('require example.com/m/v2 v1.0.0\n', 'x')).toThrow('x:1: v1.0.0 is not a version of example.com/m/v2');
    expect(() => parseGoMod('module "m\n', 'x')).toThrow('x:1: unterminated string');
  });
});

describe('loadModuleClosure', () => {
  const graph: Record<string, string> = {
    'example.com/a@v1.0.0': 'go 1.17\nrequire example.com/c v1.0.0',
    'example.com/b@v1.0.0': 'go 1.16\nrequire example.com/c v1.1.0\nrequire example.com/d v1.0.0',
    'example.com/c@v1.0.0': 'go 1.17\nrequire example.com/e v1.0.0',
    'example.com/c@v1.1.0': 'go 1.17\nrequire example.com/e v1.0.0',
    'example.com/d@v1.0.0': 'go 1.16\nrequire example.com/e v1.1.0',
    'example.com/e@v1.0.0': 'go 1.17',
    'example.com/e@v1.1.0': 'go 1.17',
    'example.com/x@v1.0.0': 'go 1.17',
    'example.com/f@v1.0.0': 'go 1.16\nrequire example.com/main v1.2.0',
    'example.com/main@v1.2.0': 'go 1.17',
  };
  const loadMod = async (path: string, version: string): Promise<GoModFile> => {
    const text = graph[`${path}@${version}`];
    if (text === undefined) throw new Error(`${path}@${version}: not found`);
    return parseGoMod(text, `${path}@${version}`);
  };
  const load = (main: string, maxModules = 100) =>
    loadModuleClosure({ path: 'example.com/main', version: 'v1.0.0', mod: parseGoMod(main, 'main') }, loadMod, {
      maxModules,
      concurrency: 2,
    });

  it('stops at pruned modules and follows unpruned ones transitively, then selects the maximum', async () => {
    const closure = await load('go 1.17\nrequire example.com/a v1.0.0\nrequire example.com/b v1.0.0');
    expect(Object.fromEntries(closure.selected)).toEqual({
      'example.com/a': 'v1.0.0',
      'example.com/b': 'v1.0.0',
      'example.com/c': 'v1.1.0',
      'example.com/d': 'v1.0.0',
      'example.com/e': 'v1.1.0',
    });
    // c v1.0.0 is a's requirement: a pruned module's requirement is never
    // read; below an unpruned one (b), everything is, pruned or not.
    expect(Object.fromEntries([...closure.modsRead].map(([p, v]) => [p, [...v].sort()]))).toEqual({
      'example.com/a': ['v1.0.0'],
      'example.com/b': ['v1.0.0'],
      'example.com/c': ['v1.1.0'],
      'example.com/d': ['v1.0.0'],
      'example.com/e': ['v1.0.0', 'v1.1.0'],
    });
  });

  it('selects a later version of the module itself when its graph requires one, as a consumer would', async () => {
    const closure = await load('go 1.17\nrequire example.com/f v1.0.0');
    expect(Object.fromEntries(closure.selected)).toEqual({
      'example.com/f': 'v1.0.0',
      'example.com/main': 'v1.2.0',
    });
    expect(await load('go 1.17\nrequire example.com/a v1.0.0').then(c => c.selected.has('example.com/main'))).toBe(false);
  });

  it('drops requirements the main module excludes', async () => {
    const closure = await load('go 1.17\nrequire example.com/a v1.0.0\nrequire example.com/x v1.0.0\nexclude example.com/x v1.0.0');
    expect([...closure.selected.keys()]).toEqual(['example.com/a']);
  });

  it('fails when a go.mod cannot be read or the graph is too large', async () => {
    await expect(load('go 1.17\nrequire example.com/missing v1.0.0')).rejects.toThrow('missing@v1.0.0: not found');
    await expect(load('go 1.16\nrequire example.com/b v1.0.0', 2)).rejects.toThrow(/more than 2 go.mod files/);
  });
});

describe('moduleZipHash', () => {
  const limits = { maxUnzippedBytes: 1024, maxFiles: 10 };
  const file = (path: string, size = 1) => ({ path, content: Buffer.alloc(size, 'a') });

  it('hashes the inflated files under their names, as dirhash does', () => {
    const body = Buffer.from('package m\n');
    const zip = zipArchive([{ path: 'm@v1.0.0/m.go', content: body }, { path: 'm@v1.0.0/go.mod', content: 'module m\n' }]);
    expect(moduleZipHash(zip, 'm@v1.0.0/', limits)).toBe(
      hash1([
        { name: 'm@v1.0.0/go.mod', sha256: createHash('sha256').update('module m\n').digest('hex') },
        { name: 'm@v1.0.0/m.go', sha256: createHash('sha256').update(body).digest('hex') },
      ]),
    );
  });

  it('refuses zips that escape their prefix, repeat a name, or inflate beyond the limits', () => {
    const hash = (entries: Array<{ path: string; content: Buffer }>) =>
      moduleZipHash(zipArchive(entries), 'm@v1.0.0/', limits);
    expect(() => hash([file('n@v1.0.0/x')])).toThrow(/not under m@v1.0.0\//);
    expect(() => hash([file('m@v1.0.0/../x')])).toThrow(/not under/);
    expect(() => hash([file('m@v1.0.0/X'), file('m@v1.0.0/x')])).toThrow(/listed twice/);
    expect(() => hash([file('m@v1.0.0/x', 2048)])).toThrow(/more than 1024 bytes/);
    expect(() => moduleZipHash(Buffer.from('not a zip'), 'm@v1.0.0/', limits)).toThrow(/not a zip file/);
  });

  it('refuses an entry that inflates past the size its directory declares', () => {
    const bomb = zipArchive([file('m@v1.0.0/x', 100_000)]);
    const central = bomb.readUInt32LE(bomb.length - 22 + 16);
    bomb.writeUInt32LE(10, 22); // local header: uncompressed size
    bomb.writeUInt32LE(10, central + 24); // directory: uncompressed size
    expect(() => moduleZipHash(bomb, 'm@v1.0.0/', limits)).toThrow(/does not inflate to its declared 10 bytes/);
  });
});
