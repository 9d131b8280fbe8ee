import { TestDatabases } from '@backstage/backend-test-utils';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cargoConsumer, describeWithCargo } from '../__testUtils__/cargoClient';
import { BuiltCrate, buildCrate } from '../__testUtils__/cargoCrates';
import { serveExportedBundle, ServedBundle } from './__testUtils__/servedBundle';

// The Cargo side of a bundle: Cargo locks, fetches and builds a consumer
// from python's static file server over the unpacked bundle, once `dl` in
// its config.json is set the documented way.

jest.setTimeout(300_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const seedVersion = (crate: BuiltCrate) => ({
  [crate.version]: {
    files: [{ path: `crates/${crate.name}/${crate.name}-${crate.version}.crate`, content: crate.body }],
    metadata: crate.line,
  },
});

describeWithCargo('a bundle as a Cargo sparse registry', () => {
  let bundle: ServedBundle | undefined;

  afterAll(async () => {
    await bundle?.stop();
  });

  it('serves Cargo from a static server over the unpacked bundle', async () => {
    const app = buildCrate({
      name: 'Bundle-App',
      version: '0.1.0',
      dependencies: [{ name: 'bundle-lib', req: '1.1' }],
      lib: 'pub fn answer() -> &\'static str { bundle_lib::value() }\n',
    });
    const lib10 = buildCrate({ name: 'bundle-lib', version: '1.0.0', lib: 'pub fn value() -> &\'static str { "lib-1.0.0" }\n' });
    const lib11 = buildCrate({ name: 'bundle-lib', version: '1.1.0', lib: 'pub fn value() -> &\'static str { "lib-1.1.0" }\n' });
    bundle = await serveExportedBundle({
      knex: await databases.init('SQLITE_3'),
      processor: 'cargo',
      async seed(seeder) {
        await seeder.seed('cargo', 'bundle-app', seedVersion(app));
        await seeder.seed('cargo', 'bundle-lib', { ...seedVersion(lib10), ...seedVersion(lib11) });
      },
    });
    const root = path.join(bundle.work, 'root', 'cargo');
    expect(await fs.readFile(path.join(root, 'bu/nd/bundle-lib'), 'utf8')).toBe(`${lib10.line}\n${lib11.line}\n`);

    // The documented step on the far side: `dl` made absolute.
    const configPath = path.join(root, 'config.json');
    const config = JSON.parse(await fs.readFile(configPath, 'utf8'));
    expect(config).toEqual({ dl: 'crates/{crate}/{version}/download' });
    await fs.writeFile(configPath, JSON.stringify({ dl: `${bundle.server.url}cargo/${config.dl}` }));

    const consumer = await cargoConsumer({
      work: bundle.work,
      index: `${bundle.server.url}cargo/`,
      dependencies: { 'Bundle-App': '0.1' },
      main: 'fn main() { println!("{}", Bundle_App::answer()); }\n',
    });
    await consumer.cargo(['generate-lockfile']);
    await consumer.cargo(['fetch', '--locked']);
    const run = await consumer.cargo(['run', '--offline', '--locked', '-q']);
    expect(run.output.split('\n')[0]).toBe('lib-1.1.0');
  });
});
