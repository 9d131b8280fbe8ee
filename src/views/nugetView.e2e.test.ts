import request from 'supertest';
import { NugetFeed, PublishedNugetPackage } from '../__testUtils__/nugetFeed';
import { binaryBody } from '../__testUtils__/api';
import { STATIC_TOKEN } from '../__testUtils__/serveBackend';
import { mirrorThenStopUpstream } from './__testUtils__/offlineMirror';

// Acceptance test of the NuGet view (issue "Go modules, Rust crates and
// NuGet"): packages with two framework groups and ranged dependencies,
// generated here and served as a static v3 feed, mirrored, the feed
// stopped; then every document a NuGet client reads during a restore is
// checked against the protocol. No NuGet client (dotnet, nuget.exe) is
// installable from this machine's package sources, so the documents are
// checked here instead of by a restore.

const auth = { Authorization: `Bearer ${STATIC_TOKEN}` };

describe('NuGet v3 feed view', () => {
  let feed: NugetFeed;
  const pkg = (id: string, version: string): PublishedNugetPackage =>
    feed.published.find(p => p.id === id && p.version === version)!;

  const mirror = mirrorThenStopUpstream({
    async startUpstream() {
      feed = await NugetFeed.start([
        {
          id: 'Contoso.App',
          version: '1.0.0',
          groups: {
            'net6.0': [{ id: 'Contoso.Json', range: '[2.0,3.0)' }],
            '.NETStandard2.0': [{ id: 'Contoso.Json', range: '2.0' }, { id: 'Contoso.Polyfill', range: '1.0' }],
          },
        },
        { id: 'Contoso.Json', version: '2.0.0' },
        { id: 'Contoso.Json', version: '2.5.1' },
        { id: 'Contoso.Json', version: '3.0.0' },
        { id: 'Contoso.Polyfill', version: '1.0.0' },
        { id: 'Contoso.Polyfill', version: '1.1.0' },
      ]);
      return { url: feed.serviceIndexUrl, stop: () => feed.stop() };
    },
    processors: upstream => ({ nuget: { serviceIndex: upstream.url, frameworks: ['net8.0', 'netstandard2.0'] } }),
    roots: [{ processor: 'nuget', id: 'Contoso.App', filter: '1.0.0' }],
  });

  const get = (path: string) => request(mirror.backend.server).get(`/api/backpack/nuget${path}`).set(auth);

  it('collected the closure: the app and the highest version each framework group\'s range allows (policy latest)', () => {
    // net8.0 takes the net6.0 group ([2.0,3.0) → 2.5.1); netstandard2.0 its own (>= 2.0 → 3.0.0, >= 1.0 → 1.1.0).
    expect(mirror.counts).toEqual({ collected: 4 });
  });

  it('serves a service index whose resources point at the view', async () => {
    const res = await get('/v3/index.json');
    expect(res.status).toBe(200);
    const types = Object.fromEntries(res.body.resources.map((r: any) => [r['@type'], r['@id']]));
    expect(types['PackageBaseAddress/3.0.0']).toBe(`${mirror.backend.baseUrl}/nuget/v3-flatcontainer/`);
    expect(types['RegistrationsBaseUrl/3.6.0']).toBe(`${mirror.backend.baseUrl}/nuget/v3/registration/`);
  });

  it('lists only mirrored versions in the flat container, whatever the id case', async () => {
    const res = await get('/v3-flatcontainer/CONTOSO.JSON/index.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ versions: ['2.5.1', '3.0.0'] });
    expect((await get('/v3-flatcontainer/contoso.polyfill/index.json')).body).toEqual({ versions: ['1.1.0'] });
  });

  it('serves the .nupkg byte for byte and the .nuspec from inside it', async () => {
    const nupkg = await get('/v3-flatcontainer/contoso.app/1.0.0/contoso.app.1.0.0.nupkg')
      .buffer(true)
      .parse(binaryBody);
    expect(nupkg.status).toBe(200);
    expect(nupkg.headers['x-backpack-verified']).toBe('true');
    expect(Buffer.compare(nupkg.body, pkg('Contoso.App', '1.0.0').nupkg)).toBe(0);
    const nuspec = await get('/v3-flatcontainer/contoso.app/1.0.0/contoso.app.nuspec');
    expect(nuspec.status).toBe(200);
    expect(nuspec.text).toBe(pkg('Contoso.App', '1.0.0').nuspec);
  });

  it('serves registration pages with the dependency groups as published', async () => {
    const res = await get('/v3/registration/contoso.app/index.json');
    expect(res.status).toBe(200);
    const leaves = res.body.items[0].items;
    expect(leaves).toHaveLength(1);
    expect(leaves[0].packageContent).toBe(
      `${mirror.backend.baseUrl}/nuget/v3-flatcontainer/contoso.app/1.0.0/contoso.app.1.0.0.nupkg`,
    );
    expect(leaves[0].catalogEntry.dependencyGroups).toEqual([
      { targetFramework: 'net6.0', dependencies: [{ id: 'Contoso.Json', range: '[2.0,3.0)' }] },
      {
        targetFramework: '.NETStandard2.0',
        dependencies: [
          { id: 'Contoso.Json', range: '2.0' },
          { id: 'Contoso.Polyfill', range: '1.0' },
        ],
      },
    ]);
  });

  it('answers 404 for what is not mirrored and 401 without credentials', async () => {
    expect((await get('/v3-flatcontainer/contoso.json/2.0.0/contoso.json.2.0.0.nupkg')).status).toBe(404);
    expect((await get('/v3-flatcontainer/contoso.json/2.5.1/other.nupkg')).status).toBe(404);
    expect((await get('/v3-flatcontainer/unknown/index.json')).status).toBe(404);
    expect((await get('/v3-flatcontainer/..%2F..%2Fx/index.json')).status).toBe(404);
    const anonymous = await request(mirror.backend.server).get('/api/backpack/nuget/v3-flatcontainer/contoso.app/index.json');
    expect(anonymous.status).toBe(401);
  });
});
