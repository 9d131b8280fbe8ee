import { deflateRawSync } from 'node:zlib';
import { zipOf } from '../../__testUtils__/goModules';
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
  };
  const loadMod = async (path: string, version: string): Promise<GoModFile> => {
    const text = graph[`${path}@${version}`];
    if (text === undefined) throw new Error(`${path}@${version}: not found`);
    return parseGoMod(text, `${path}@${version}`);
  };
  const load = (main: string, maxModules = 100) =>
    loadModuleClosure({ path: 'example.com/main', mod: parseGoMod(main, 'main') }, loadMod, {
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

  it('hashes stored and deflated entries alike', () => {
    const body = Buffer.from('package m\n');
    const stored = zipOf([{ name: 'm@v1.0.0/m.go', body }]);
    const deflated = Buffer.from(stored);
    // Same entry, deflated: rewrite method, sizes and data.
    const data = deflateRawSync(body);
    const rebuilt = rebuildDeflated('m@v1.0.0/m.go', body, data);
    expect(moduleZipHash(rebuilt, 'm@v1.0.0/', limits)).toBe(moduleZipHash(deflated, 'm@v1.0.0/', limits));
  });

  it('refuses zips that escape their prefix, repeat a name, or inflate beyond the limits', () => {
    const file = (name: string, size = 1) => ({ name, body: Buffer.alloc(size, 'a') });
    expect(() => moduleZipHash(zipOf([file('n@v1.0.0/x')]), 'm@v1.0.0/', limits)).toThrow(/not under m@v1.0.0\//);
    expect(() => moduleZipHash(zipOf([file('m@v1.0.0/../x')]), 'm@v1.0.0/', limits)).toThrow(/not under/);
    expect(() => moduleZipHash(zipOf([file('m@v1.0.0/X'), file('m@v1.0.0/x')]), 'm@v1.0.0/', limits)).toThrow(
      /listed twice/,
    );
    expect(() => moduleZipHash(zipOf([file('m@v1.0.0/x', 2048)]), 'm@v1.0.0/', limits)).toThrow(/more than 1024 bytes/);
    expect(() => moduleZipHash(Buffer.from('not a zip'), 'm@v1.0.0/', limits)).toThrow(/not a zip file/);
    // A deflated entry that inflates past what its directory declares.
    const bomb = rebuildDeflated('m@v1.0.0/x', Buffer.alloc(10), deflateRawSync(Buffer.alloc(100_000)));
    expect(() => moduleZipHash(bomb, 'm@v1.0.0/', limits)).toThrow(/does not inflate to its declared 10 bytes/);
  });
});

/** A one-entry zip whose entry is deflated `data`, declared as `body`'s size. */
function rebuildDeflated(name: string, body: Buffer, data: Buffer): Buffer {
  const zip = zipOf([{ name, body: data }]);
  const nameLength = Buffer.byteLength(name);
  const centralOffset = 30 + nameLength + data.length;
  zip.writeUInt16LE(8, 8); // local: method
  zip.writeUInt32LE(body.length, 22); // local: uncompressed size
  zip.writeUInt16LE(8, centralOffset + 10); // central: method
  zip.writeUInt32LE(body.length, centralOffset + 24); // central: uncompressed size
  return zip;
}
