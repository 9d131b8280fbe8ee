import { TestDatabases } from '@backstage/backend-test-utils';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeWithGo, goModText, GoModuleVersion, moduleZip, runGo } from '../__testUtils__/goModules';
import { serveExportedBundle, ServedBundle } from './__testUtils__/servedBundle';
import { SeedVersion } from './__testUtils__/bundleFiles';

// The Go side of a bundle: the go command downloads and builds a consumer
// from the unpacked bundle's GOPROXY directory, both over a static web
// server nobody wrote for Backpack and as a file:// GOPROXY.

jest.setTimeout(300_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const source = (pkg: string, imports: string[], body: string) =>
  `package ${pkg}\n\n${imports.map(i => `import ${i}\n`).join('')}\n${body}\n`;

// go 1.16 modules are not pruned: the consumer reads lib v1.0.0's go.mod,
// which the mirror holds alone, through other.
const APP: GoModuleVersion = {
  path: 'example.com/App',
  version: 'v1.0.0',
  goMod: goModText('example.com/App', '1.16', ['example.com/lib v1.1.0', 'example.com/other v1.0.0']),
  files: { 'app.go': source('app', ['"example.com/lib"'], 'func Hello() string { return "app+" + lib.Name() }') },
};
const LIB: GoModuleVersion = {
  path: 'example.com/lib',
  version: 'v1.1.0',
  goMod: goModText('example.com/lib', '1.16'),
  files: { 'lib.go': source('lib', [], 'func Name() string { return "lib1.1" }') },
};
const OTHER: GoModuleVersion = {
  path: 'example.com/other',
  version: 'v1.0.0',
  goMod: goModText('example.com/other', '1.16', ['example.com/lib v1.0.0']),
  files: { 'other.go': source('other', [], 'func Name() string { return "other" }') },
};
const OLD_LIB_MOD = goModText('example.com/lib', '1.16');

const escaped = (p: string) => p.replace(/[A-Z]/g, c => `!${c.toLowerCase()}`);
const full = (m: GoModuleVersion): SeedVersion => ({
  files: [
    { path: `${escaped(m.path)}/@v/${m.version}.mod`, content: Buffer.from(m.goMod) },
    { path: `${escaped(m.path)}/@v/${m.version}.zip`, content: moduleZip(m) },
    {
      path: `${escaped(m.path)}/@v/${m.version}.info`,
      content: Buffer.from(JSON.stringify({ Version: m.version, Time: '2025-05-05T05:05:05Z' })),
    },
  ],
});

describeWithGo('a bundle as a GOPROXY directory', () => {
  let bundle: ServedBundle | undefined;

  beforeAll(async () => {
    bundle = await serveExportedBundle({
      knex: await databases.init('SQLITE_3'),
      processor: 'go',
      async seed(seeder) {
        await seeder.seed('go', APP.path, { [APP.version]: full(APP) });
        await seeder.seed('go', OTHER.path, { [OTHER.version]: full(OTHER) });
        await seeder.seed('go', LIB.path, {
          [LIB.version]: full(LIB),
          'v1.0.0~go.mod': { files: [{ path: 'example.com/lib/@v/v1.0.0.mod', content: Buffer.from(OLD_LIB_MOD) }] },
        });
      },
    });
  });

  afterAll(async () => {
    await bundle?.stop();
  });

  const build = async (name: string, goproxy: string) => {
    const consumer = path.join(bundle!.work, name);
    await fs.mkdir(consumer, { recursive: true });
    await fs.writeFile(path.join(consumer, 'go.mod'), goModText('example.com/consumer', '1.19', ['example.com/App v1.0.0']));
    await fs.writeFile(
      path.join(consumer, 'main.go'),
      source('main', ['"fmt"', 'app "example.com/App"'], 'func main() { fmt.Println(app.Hello()) }'),
    );
    const work = path.join(bundle!.work, `${name}-go`);
    await runGo({ work, cwd: consumer, goproxy, args: ['mod', 'download'] });
    await runGo({ work, cwd: consumer, goproxy, args: ['build', '-o', 'consumer', '.'] });
    return fs.readFile(path.join(consumer, 'go.sum'), 'utf8');
  };

  it('serves the go command from a static web server over the unpacked bundle', async () => {
    const sums = await build('over-http', `${bundle!.server.url}go`);
    expect(sums).toContain('example.com/lib v1.0.0/go.mod h1:');
    expect(sums).toContain('example.com/lib v1.1.0 h1:');
    expect(bundle!.server.log()).toContain('GET /go/example.com/%21app/@v/v1.0.0.zip');
  });

  it('serves the go command as a file:// GOPROXY', async () => {
    const root = path.join(bundle!.work, 'root', 'go');
    const sums = await build('over-file', pathToFileURL(root).href);
    expect(sums).toContain('example.com/App v1.0.0 h1:');
  });

  it('lays out @v/list and @latest over the versions whose zip it holds', async () => {
    const root = path.join(bundle!.work, 'root', 'go');
    expect(await fs.readFile(path.join(root, 'example.com/lib/@v/list'), 'utf8')).toBe('v1.1.0\n');
    expect(JSON.parse(await fs.readFile(path.join(root, 'example.com/!app/@latest'), 'utf8'))).toEqual({
      Version: 'v1.0.0',
      Time: '2025-05-05T05:05:05Z',
    });
    expect(await fs.readFile(path.join(root, 'example.com/lib/@v/v1.0.0.mod'), 'utf8')).toBe(OLD_LIB_MOD);
    await expect(fs.stat(path.join(root, 'example.com/lib/@v/v1.0.0.zip'))).rejects.toThrow(/ENOENT/);
  });
});
