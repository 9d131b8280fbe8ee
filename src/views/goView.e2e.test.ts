import { execFile } from 'node:child_process';
import { TestDatabases } from '@backstage/backend-test-utils';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { binaryBody } from '../__testUtils__/api';
import {
  describeWithGo,
  goModText,
  GoModuleVersion,
  PublishedGoModule,
  publishGoModules,
  runGo,
  startTokenForwarder,
} from '../__testUtils__/goModules';
import { STATIC_TOKEN } from '../__testUtils__/serveBackend';
import { StaticRegistryServer } from '../__testUtils__/staticRegistryServer';
import { moduleZipHash } from '../processors/go/moduleZip';
import { mirrorThenStopUpstream } from './__testUtils__/offlineMirror';

// Acceptance test of the Go modules view (issue 14): a module graph
// generated here (a /v2 major path, a diamond with different minimums, a
// go 1.16 module whose graph is not pruned, a module path with capitals),
// served by a static GOPROXY, mirrored, the proxy stopped; then the real go
// command downloads and builds a consumer from the view alone.

const auth = { Authorization: `Bearer ${STATIC_TOKEN}` };

const goFile = (pkg: string, imports: string[], body: string) =>
  `package ${pkg}\n\n${imports.length ? `import (\n${imports.map(i => `\t${i}\n`).join('')})\n\n` : ''}${body}\n`;

const name = (pkg: string, value: string) => goFile(pkg, [], `func Name() string { return "${value}" }`);

/** The graph: app → liba, libb, libc/v2; all three → shared at different minimums. */
const MODULES: GoModuleVersion[] = [
  {
    path: 'example.com/app',
    version: 'v1.0.0',
    goMod: goModText('example.com/app', '1.17', [
      'example.com/Upper v1.0.0 // indirect',
      'example.com/deep v1.0.0 // indirect',
      'example.com/liba v1.1.0',
      'example.com/libb v1.0.0',
      'example.com/libc/v2 v2.1.0',
      'example.com/shared v1.2.0 // indirect',
    ]),
    files: {
      'app.go': goFile(
        'app',
        ['"example.com/liba"', '"example.com/libb"', 'libc "example.com/libc/v2"'],
        'func Hello() string { return liba.Name() + "+" + libb.Name() + "+" + libc.Name() }',
      ),
    },
  },
  { path: 'example.com/liba', version: 'v1.0.0', goMod: goModText('example.com/liba', '1.17'), files: { 'a.go': name('liba', 'old') } },
  {
    path: 'example.com/liba',
    version: 'v1.1.0',
    // testonly serves liba's own tests: a pruned graph never reads its go.mod.
    goMod: goModText('example.com/liba', '1.17', ['example.com/shared v1.1.0', 'example.com/testonly v1.0.0']),
    files: {
      'a.go': goFile('liba', ['"example.com/shared"'], 'func Name() string { return "a" + shared.Version() }'),
      'a_test.go': goFile('liba', ['"testing"', '_ "example.com/testonly"'], 'func TestA(t *testing.T) {}'),
    },
  },
  {
    path: 'example.com/libb',
    version: 'v1.0.0',
    goMod: goModText('example.com/libb', '1.17', ['example.com/Upper v1.0.0', 'example.com/shared v1.2.0']),
    files: {
      'b.go': goFile(
        'libb',
        ['"example.com/Upper"', '"example.com/shared"'],
        'func Name() string { return "b" + shared.Version() + upper.Name() }',
      ),
    },
  },
  { path: 'example.com/Upper', version: 'v1.0.0', goMod: goModText('example.com/Upper', '1.17'), files: { 'u.go': name('upper', 'U') } },
  { path: 'example.com/libc', version: 'v1.5.0', goMod: goModText('example.com/libc', '1.17'), files: { 'c.go': name('libc', 'c1') } },
  {
    path: 'example.com/libc/v2',
    version: 'v2.1.0',
    // go 1.16: not pruned, so its whole graph is read, shared v1.1.0's go.mod too.
    goMod: goModText('example.com/libc/v2', '1.16', ['example.com/deep v1.0.0', 'example.com/shared v1.1.0']),
    files: { 'c.go': goFile('libc', ['"example.com/deep"'], 'func Name() string { return "c2" + deep.Name() }') },
  },
  {
    path: 'example.com/deep',
    version: 'v1.0.0',
    goMod: goModText('example.com/deep', '1.16', ['example.com/deeper v1.0.0']),
    files: { 'd.go': name('deep', 'd') },
  },
  { path: 'example.com/deeper', version: 'v1.0.0', goMod: goModText('example.com/deeper', '1.16'), files: { 'e.go': name('deeper', 'e') } },
  ...['v1.1.0', 'v1.2.0', 'v1.3.0'].map(version => ({
    path: 'example.com/shared',
    version,
    goMod: goModText('example.com/shared', '1.17'),
    files: { 's.go': goFile('shared', [], `func Version() string { return "${version}" }`) },
  })),
  { path: 'example.com/testonly', version: 'v1.0.0', goMod: goModText('example.com/testonly', '1.17'), files: { 't.go': name('testonly', 't') } },
];

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describeWithGo.each(databases.eachSupportedId())('Go modules view (GOPROXY) on %p', databaseId => {
  let published: PublishedGoModule[];
  let upstreamRequests: string[] = [];
  const zipOf = (module: string, version: string) =>
    published.find(m => m.path === module && m.version === version)!.zip;

  const mirror = mirrorThenStopUpstream({
    async startUpstream() {
      const server = await StaticRegistryServer.start();
      published = publishGoModules(server, MODULES);
      return {
        url: server.url,
        stop: async () => {
          upstreamRequests = server.requests.map(r => r.path);
          await server.close();
        },
      };
    },
    processors: upstream => ({ go: { proxy: upstream.url } }),
    roots: [{ processor: 'go', id: 'example.com/app', filter: 'v1.0.0' }],
    database: () => databases.init(databaseId),
  });

  // The go command sends the credentials of a GOPROXY URL over https
  // only; in front of the plain-http test backend a proxy adds the token.
  let forwarder: { url: string; close(): Promise<void> } | undefined;
  afterAll(() => forwarder?.close());
  const goproxy = async () => {
    forwarder ??= await startTokenForwarder(mirror.backend.baseUrl, STATIC_TOKEN);
    return `${forwarder.url}${new URL(mirror.backend.baseUrl).pathname}/go`;
  };

  it('collected the go.mod and zip of what MVS selects, and the go.mod alone of what the graph only reads', () => {
    // app, liba, libb, Upper, libc/v2, deep, deeper, shared v1.2.0: go.mod,
    // zip and .info each; shared v1.1.0: its go.mod only.
    expect(mirror.counts).toEqual({ collected: 25 });
  });

  it('never read what a pruned graph leaves out, nor versions nothing requires', () => {
    expect(upstreamRequests.filter(p => p.includes('testonly'))).toEqual([]);
    expect(upstreamRequests).not.toContain('/example.com/shared/@v/v1.3.0.zip');
    expect(upstreamRequests).not.toContain('/example.com/shared/@v/v1.1.0.zip');
    expect(upstreamRequests).not.toContain('/example.com/libc/@v/v1.5.0.zip');
  });

  it('lets the go command download and build a consumer from the view alone, the upstream stopped', async () => {
    const consumer = path.join(mirror.work, 'consumer');
    await fs.mkdir(consumer, { recursive: true });
    await fs.writeFile(
      path.join(consumer, 'go.mod'),
      goModText('example.com/consumer', '1.19', ['example.com/app v1.0.0']),
    );
    await fs.writeFile(
      path.join(consumer, 'main.go'),
      goFile('main', ['"fmt"', '"example.com/app"'], 'func main() { fmt.Println(app.Hello()) }'),
    );
    const proxy = await goproxy();
    const run = (args: string[]) => runGo({ work: mirror.work, cwd: consumer, goproxy: proxy, args });
    await run(['mod', 'download']);
    await run(['build', '-o', 'consumer', '.']);
    const { stdout } = await promisify(execFile)(path.join(consumer, 'consumer'));
    // MVS chose shared v1.2.0 for every importer, whatever their minimums.
    expect(stdout.trim()).toBe('av1.2.0+bv1.2.0U+c2d');

    // go.sum as the go command computed it from the bytes the view served:
    // Backpack's h1: of each zip is the same.
    const sums = await fs.readFile(path.join(consumer, 'go.sum'), 'utf8');
    for (const [module, version] of [
      ['example.com/app', 'v1.0.0'],
      ['example.com/shared', 'v1.2.0'],
      ['example.com/libc/v2', 'v2.1.0'],
      ['example.com/Upper', 'v1.0.0'],
    ]) {
      const hash = moduleZipHash(zipOf(module, version), `${module}@${version}/`, {
        maxUnzippedBytes: 1 << 20,
        maxFiles: 100,
      });
      expect(sums).toContain(`${module} ${version} ${hash}\n`);
    }
    expect(sums).toContain('example.com/shared v1.1.0/go.mod h1:');
    expect(sums).not.toContain('example.com/shared v1.1.0 h1:');
  }, 300_000);

  it('serves only mirrored versions: list, @latest, .info, .mod, .zip, with case-encoded paths', async () => {
    const get = (p: string) => request(mirror.backend.server).get(`/api/backpack/go/${p}`).set(auth);
    expect((await get('example.com/shared/@v/list')).text).toBe('v1.2.0\n');
    expect(JSON.parse((await get('example.com/shared/@latest')).text)).toEqual({
      Version: 'v1.2.0',
      Time: '2024-01-02T03:04:05Z',
    });
    expect((await get('example.com/shared/@v/v1.1.0.mod')).text).toBe(goModText('example.com/shared', '1.17'));
    expect((await get('example.com/shared/@v/v1.1.0.zip')).status).toBe(404);
    expect((await get('example.com/shared/@v/v1.3.0.info')).status).toBe(404);
    const zip = await get('example.com/!upper/@v/v1.0.0.zip').buffer(true).parse(binaryBody);
    expect(zip.status).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    expect(Buffer.compare(zip.body as Buffer, zipOf('example.com/Upper', 'v1.0.0'))).toBe(0);
    // Not the case encoding: no such module.
    expect((await get('example.com/Upper/@v/list')).status).toBe(404);
    expect((await get('example.com/testonly/@v/list')).status).toBe(404);
    expect((await get('example.com/app/@v/v1.0.0.ziq')).status).toBe(404);
  });

  it('answers HEAD with the size of a stored file', async () => {
    const res = await request(mirror.backend.server).head('/api/backpack/go/example.com/libc/v2/@v/v2.1.0.zip').set(auth);
    expect(res.status).toBe(200);
    expect(Number(res.headers['content-length'])).toBe(zipOf('example.com/libc/v2', 'v2.1.0').length);
    expect(res.headers['x-backpack-verified']).toBe('true');
  });

  it('refuses artifacts that name no module path, or an unknown config key, with 400 naming the field', async () => {
    const post = (body: object) => request(mirror.backend.server).post('/api/backpack/artifacts').set(auth).send(body);
    const badId = await post({ processor: 'go', id: 'Example.com/x' });
    expect(badId.status).toBe(400);
    expect(badId.body.error.message).toMatch(/id: 'Example.com\/x' is not a Go module path/);
    const badConfig = await post({ processor: 'go', id: 'example.com/x', config: { graph: false } });
    expect(badConfig.status).toBe(400);
    expect(badConfig.body.error.message).toMatch(/unknown go config key\(s\): graph/);
  });

  it('challenges clients without credentials with basic auth', async () => {
    const res = await request(mirror.backend.server).get('/api/backpack/go/example.com/app/@v/list');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Backpack"');
  });
});
