import fs from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { cargoConsumer, describeWithCargo } from '../__testUtils__/cargoClient';
import { BuiltCrate, buildCrate, publishSparseRegistry, TestCrate } from '../__testUtils__/cargoCrates';
import { STATIC_TOKEN } from '../__testUtils__/serveBackend';
import { StaticRegistryServer } from '../__testUtils__/staticRegistryServer';
import { mirrorThenStopUpstream } from './__testUtils__/offlineMirror';

// Acceptance test of the Cargo view (issue 14): crates built here with
// features, a target-specific, a renamed and a build dependency, served
// as a static sparse registry, mirrored, the registry stopped; then the
// real Cargo resolves, fetches and builds a consumer against the mirror.

const auth = { Authorization: `Bearer ${STATIC_TOKEN}` };
const value = (name: string, version: string) =>
  `pub fn value() -> &'static str { "${name}-${version}" }\n`;
const plain = (name: string, version: string, extra: Partial<TestCrate> = {}): TestCrate => ({
  name,
  version,
  lib: value(name, version),
  ...extra,
});

const CRATES: TestCrate[] = [
  {
    name: 'demo-app',
    version: '1.0.0',
    dependencies: [
      { name: 'demo-core', req: '1.2', features: ['extra'] },
      { name: 'win-only', req: '0.1', target: 'cfg(windows)' },
      { name: 'alias', package: 'renamed-real', req: '^2' },
      { name: 'demo-build', req: '0.3', kind: 'build' },
      { name: 'demo-test', req: '1', kind: 'dev' },
      { name: 'fancy-dep', req: '0.1', optional: true },
      { name: 'unused-opt', req: '1', optional: true },
    ],
    features: { default: ['fancy'] },
    features2: { fancy: ['dep:fancy-dep'] },
    lib: [
      'pub fn answer() -> String {',
      '    format!("{} {} {} {}", demo_core::value(), alias::value(), fancy_dep::value(), env!("DEMO_BUILD"))',
      '}',
      '',
    ].join('\n'),
    build: 'fn main() { println!("cargo:rustc-env=DEMO_BUILD={}", demo_build::value()); }\n',
  },
  plain('demo-core', '1.0.0'),
  plain('demo-core', '1.2.0'),
  {
    name: 'demo-core',
    version: '1.3.0',
    dependencies: [
      { name: 'core-extra', req: '=0.5.0', optional: true },
      { name: 'never-on', req: '1', optional: true },
    ],
    features2: { extra: ['dep:core-extra', 'never-on?/x'] },
    lib: [
      '#[cfg(feature = "extra")]',
      'pub fn value() -> String { format!("demo-core-1.3.0+{}", core_extra::value()) }',
      '#[cfg(not(feature = "extra"))]',
      'pub fn value() -> String { "demo-core-1.3.0".into() }',
      '',
    ].join('\n'),
  },
  plain('demo-core', '1.4.0', { yanked: true }),
  plain('demo-core', '2.0.0'),
  plain('core-extra', '0.5.0'),
  plain('core-extra', '0.6.0'),
  plain('win-only', '0.1.0'),
  plain('renamed-real', '1.0.0'),
  plain('renamed-real', '2.0.0'),
  plain('renamed-real', '2.1.0'),
  plain('demo-build', '0.3.1'),
  plain('demo-test', '1.0.0'),
  plain('fancy-dep', '0.1.0'),
  plain('unused-opt', '1.0.0'),
  plain('never-on', '1.0.0', { features: { x: [] } }),
];

/** What Cargo needs for the consumer, by crate: nothing else is mirrored. */
const CLOSURE = [
  'core-extra 0.5.0',
  'demo-app 1.0.0',
  'demo-build 0.3.1',
  'demo-core 1.3.0',
  'fancy-dep 0.1.0',
  // Only weakly (`never-on?/x`), but Cargo's resolver locks it all the same.
  'never-on 1.0.0',
  'renamed-real 2.1.0',
  'win-only 0.1.0',
];

describeWithCargo('Cargo sparse registry view', () => {
  let built: BuiltCrate[];
  const crate = (name: string, version: string) =>
    built.find(c => c.name === name && c.version === version)!;

  const mirror = mirrorThenStopUpstream({
    async startUpstream() {
      built = CRATES.map(buildCrate);
      const server = await StaticRegistryServer.start();
      publishSparseRegistry(server, built);
      return { url: server.url, stop: () => server.close() };
    },
    processors: upstream => ({ cargo: { index: upstream.url } }),
    roots: [{ processor: 'cargo', id: 'demo-app' }],
  });

  it('collected the closure Cargo resolves and nothing else', () => {
    expect(mirror.counts).toEqual({ collected: CLOSURE.length });
  });

  it('lets Cargo lock, fetch and build a consumer from the mirror alone', async () => {
    const consumer = await cargoConsumer({
      work: mirror.work,
      index: `${mirror.backend.baseUrl}/cargo/`,
      token: STATIC_TOKEN,
      dependencies: { 'demo-app': '1' },
      main: 'fn main() { println!("{}", demo_app::answer()); }\n',
    });
    await consumer.cargo(['generate-lockfile']);
    const lock = await fs.readFile(path.join(consumer.dir, 'Cargo.lock'), 'utf8');
    const locked = [...lock.matchAll(/\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"/g)]
      .map(m => `${m[1]} ${m[2]}`)
      .filter(p => !p.startsWith('consumer '))
      .sort();
    expect(locked).toEqual(CLOSURE);

    await consumer.cargo(['fetch', '--locked']);
    const cache = path.join(consumer.home, 'registry', 'cache');
    const [registryDir] = await fs.readdir(cache);
    const downloaded = (await fs.readdir(path.join(cache, registryDir))).sort();
    expect(downloaded).toEqual(CLOSURE.map(p => `${p.replace(' ', '-')}.crate`));
    for (const file of downloaded) {
      const [, name, version] = /^(.*)-(\d+\.\d+\.\d+)\.crate$/.exec(file)!;
      expect(await fs.readFile(path.join(cache, registryDir, file))).toEqual(crate(name, version).body);
    }

    await consumer.cargo(['build', '--offline', '--locked']);
    const run = await consumer.cargo(['run', '--offline', '--locked', '-q']);
    expect(run.output.split('\n')[0]).toBe(
      'demo-core-1.3.0+core-extra-0.5.0 renamed-real-2.1.0 fancy-dep-0.1.0 demo-build-0.3.1',
    );
  }, 600_000);

  it("serves index files with the upstream's lines of mirrored versions, byte for byte", async () => {
    const res = await request(mirror.backend.server).get('/api/backpack/cargo/de/mo/demo-core').set(auth);
    expect(res.status).toBe(200);
    // Neither the yanked 1.4.0 nor versions nothing requires.
    expect(res.text).toBe(`${crate('demo-core', '1.3.0').line}\n`);
    const short = await request(mirror.backend.server).get('/api/backpack/cargo/wi/n-/win-only').set(auth);
    expect(short.text).toBe(`${crate('win-only', '0.1.0').line}\n`);
  });

  it('points dl at the view and asks for authentication', async () => {
    const res = await request(mirror.backend.server).get('/api/backpack/cargo/config.json').set(auth);
    expect(JSON.parse(res.text)).toEqual({
      dl: `${mirror.backend.baseUrl}/cargo/crates/{crate}/{version}/download`,
      'auth-required': true,
    });
    const anonymous = await request(mirror.backend.server).get('/api/backpack/cargo/config.json');
    expect(anonymous.status).toBe(401);
  });

  it('takes a token without a scheme, as Cargo sends it', async () => {
    const res = await request(mirror.backend.server)
      .get('/api/backpack/cargo/crates/fancy-dep/0.1.0/download')
      .set('Authorization', STATIC_TOKEN);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(crate('fancy-dep', '0.1.0').body);
  });

  it('answers 404 for crates, versions and paths that are not mirrored', async () => {
    for (const url of [
      '/api/backpack/cargo/de/mo/demo-test',
      '/api/backpack/cargo/un/us/unused-opt',
      '/api/backpack/cargo/xx/yy/demo-core',
      '/api/backpack/cargo/crates/demo-core/2.0.0/download',
      '/api/backpack/cargo/crates/demo-core/1.4.0/download',
    ]) {
      const res = await request(mirror.backend.server).get(url).set(auth);
      expect([url, res.status]).toEqual([url, 404]);
    }
  });
});
