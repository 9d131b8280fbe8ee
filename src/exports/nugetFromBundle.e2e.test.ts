import { TestDatabases } from '@backstage/backend-test-utils';
import { nuspecOf } from '../__testUtils__/nugetFeed';
import { zipArchive } from '../__testUtils__/zipArchive';
import { DEFAULT_NUGET_FEED_BASE_URL } from './metadata/staticNuget';
import { serveExportedBundle, ServedBundle } from './__testUtils__/servedBundle';

// The NuGet side of a bundle: a static v3 feed (service index and flat
// container) that any web server over the unpacked bundle serves. No NuGet
// client is installable here, so the documents a restore reads are checked.

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const nupkg = (id: string, version: string) =>
  zipArchive([{ path: `${id}.nuspec`, content: nuspecOf({ id, version }) }]);

describe('a bundle as a NuGet feed', () => {
  let bundle: ServedBundle | undefined;

  afterAll(async () => {
    await bundle?.stop();
  });

  it('lays out a flat container with version lists and the packages, and a service index naming it', async () => {
    const packages = {
      '1.0.0': nupkg('Contoso.Lib', '1.0.0'),
      '1.2.0-beta.1': nupkg('Contoso.Lib', '1.2.0-beta.1'),
      '1.10.0': nupkg('Contoso.Lib', '1.10.0'),
    };
    bundle = await serveExportedBundle({
      knex: await databases.init('SQLITE_3'),
      processor: 'nuget',
      async seed(seeder) {
        await seeder.seed(
          'nuget',
          'contoso.lib',
          Object.fromEntries(
            Object.entries(packages).map(([version, content]) => [
              version,
              { files: [{ path: `contoso.lib/${version}/contoso.lib.${version}.nupkg`, content }] },
            ]),
          ),
        );
      },
    });
    const get = (path: string) => fetch(`${bundle!.server.url}nuget/${path}`);

    const index = await (await get('v3/index.json')).json();
    expect(index.resources).toEqual([
      { '@id': `${DEFAULT_NUGET_FEED_BASE_URL}v3-flatcontainer/`, '@type': 'PackageBaseAddress/3.0.0' },
    ]);
    // NuGet's order, not the text's: 1.2.0-beta.1 < 1.10.0.
    expect(await (await get('v3-flatcontainer/contoso.lib/index.json')).json()).toEqual({
      versions: ['1.0.0', '1.2.0-beta.1', '1.10.0'],
    });
    for (const [version, content] of Object.entries(packages)) {
      const res = await get(`v3-flatcontainer/contoso.lib/${version}/contoso.lib.${version}.nupkg`);
      expect(res.status).toBe(200);
      expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), content)).toBe(0);
    }
  });
});
