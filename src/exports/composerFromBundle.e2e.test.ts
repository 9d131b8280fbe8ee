import { TestDatabases } from '@backstage/backend-test-utils';
import fs from 'node:fs/promises';
import path from 'node:path';
import { composerInstall, describeWithComposer, phpWithAutoload } from '../__testUtils__/composerClient';
import { ComposerRepository, PublishedComposerPackage } from '../__testUtils__/composerRepository';
import { StaticRegistryServer } from '../__testUtils__/staticRegistryServer';
import { composerDistFileName } from '../processors/composer/composerNames';
import { serveExportedBundle, ServedBundle } from './__testUtils__/servedBundle';

// The Composer side of a bundle: a static Composer repository under
// composer/ whose metadata-url and dist URLs name
// backpack.exports.composer.repositoryUrl, where the far side serves it.
// Here that is a static server whose address is known before the export
// is built; it serves the unpacked bundle's composer/ directory, and the
// real Composer installs from it.

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

async function filesUnder(root: string, dir = root): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(e => (e.isDirectory() ? filesUnder(root, path.join(dir, e.name)) : [path.join(dir, e.name)])),
  );
  return nested.flat();
}

describe('a bundle as a Composer repository', () => {
  let generator: ComposerRepository;
  let farSide: StaticRegistryServer;
  let bundle: ServedBundle | undefined;
  let app: PublishedComposerPackage;
  let lib: PublishedComposerPackage;

  beforeAll(async () => {
    // Only to generate the packages; the bundle is seeded with their bytes.
    generator = await ComposerRepository.start([]);
    app = generator.add({ name: 'acme/app', version: 'v2.0.0', require: { php: '>=7.4', 'acme/lib': '^1.0' } });
    lib = generator.add({ name: 'acme/lib', version: '1.4.0' });
    await generator.stop();
    farSide = await StaticRegistryServer.start();
    const seedOf = (p: PublishedComposerPackage) => ({
      [p.version]: { files: [{ path: `${p.name}/${composerDistFileName(p.name, p.version)}`, content: p.zip }] },
    });
    bundle = await serveExportedBundle({
      knex: await databases.init('SQLITE_3'),
      processor: 'composer',
      settings: { composerRepositoryUrl: `${farSide.url}/composer/` },
      async seed(seeder) {
        await seeder.seed('composer', 'acme/app', seedOf(app));
        await seeder.seed('composer', 'acme/lib', seedOf(lib));
      },
    });
    const root = path.join(bundle.work, 'root');
    for (const file of await filesUnder(path.join(root, 'composer'))) {
      const urlPath = `/${path.relative(root, file).split(path.sep).join('/')}`;
      farSide.set(urlPath, { body: await fs.readFile(file), contentType: 'application/octet-stream' });
    }
  });

  afterAll(async () => {
    await bundle?.stop();
    await farSide?.close();
  });

  it('lays out packages.json, p2 documents with the sha1 of each dist, and the dists', async () => {
    const get = (p: string) => fetch(`${bundle!.server.url}composer/${p}`);
    expect(await (await get('packages.json')).json()).toEqual({
      packages: [],
      'metadata-url': `${farSide.url}/composer/p2/%package%.json`,
    });
    const document = await (await get('p2/acme/app.json')).json();
    expect(document.packages['acme/app']).toEqual([
      expect.objectContaining({
        name: 'acme/app',
        version: 'v2.0.0',
        version_normalized: '2.0.0.0',
        require: { php: '>=7.4', 'acme/lib': '^1.0' },
        autoload: { 'psr-4': { 'Acme\\App\\': 'src/' } },
        dist: {
          type: 'zip',
          url: `${farSide.url}/composer/dists/acme/app/v2.0.0/acme-app-v2.0.0.zip`,
          reference: app.sha1,
          shasum: app.sha1,
        },
      }),
    ]);
    const dist = await get('dists/acme/lib/1.4.0/acme-lib-1.4.0.zip');
    expect(Buffer.compare(Buffer.from(await dist.arrayBuffer()), lib.zip)).toBe(0);
    expect((await get('p2/acme/app~dev.json')).status).toBe(404);
  });

  describeWithComposer('with the real Composer', () => {
    it('installs a consumer project from the unpacked bundle', async () => {
      const project = await composerInstall({
        work: bundle!.work,
        repository: `${farSide.url}/composer`,
        require: { 'acme/app': '^2.0' },
      });
      const output = await phpWithAutoload(project, "echo Acme\\App\\Hello::VERSION, ' ', Acme\\Lib\\Hello::VERSION;");
      expect(output).toBe('v2.0.0 1.4.0');
    });
  });
});
