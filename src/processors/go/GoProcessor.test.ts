import { createHash } from 'node:crypto';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import { goModText, GoModuleVersion, moduleZip, publishGoModules } from '../../__testUtils__/goModules';
import { zipArchive } from '../../__testUtils__/zipArchive';
import { StaticRegistryServer } from '../../__testUtils__/staticRegistryServer';
import { ClosureResolver } from '../../closure/ClosureResolver';
import { compileVersionFilter } from '../../closure/versionFilter';
import { DependencyPolicy } from '../../types';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { ProcessorRegistry } from '../ProcessorRegistry';
import { BackpackProcessor } from '../types';
import { goModHash } from './dirhash';
import { createGoProcessor } from './GoProcessor';
import { moduleZipHash } from './moduleZip';

const logger = mockServices.logger.mock();

const mod = (path: string, version: string, go: string, requires: string[] = [], extra = ''): GoModuleVersion => ({
  path,
  version,
  goMod: goModText(path, go, requires) + extra,
  files: { 'x.go': 'package x\n' },
});

// root → a (shared v1.1.0), b (shared v1.2.0): MVS picks shared v1.2.0;
// old is go 1.16 (unpruned) and needs shared v1.0.0, whose go.mod is read.
const MODULES = [
  mod('example.com/root', 'v1.0.0', '1.17', [
    'example.com/a v1.0.0',
    'example.com/b v1.0.0',
    'example.com/old v1.0.0',
    'example.com/shared v1.2.0 // indirect',
  ]),
  mod('example.com/a', 'v1.0.0', '1.17', ['example.com/shared v1.1.0', 'example.com/never v1.0.0']),
  mod('example.com/a', 'v1.1.0', '1.17', ['example.com/shared v1.1.0']),
  mod('example.com/b', 'v1.0.0', '1.17', ['example.com/shared v1.2.0']),
  mod('example.com/old', 'v1.0.0', '1.16', ['example.com/shared v1.0.0']),
  ...['v1.0.0', 'v1.1.0', 'v1.2.0', 'v1.3.0'].map(v => mod('example.com/shared', v, '1.17')),
  // v1.4.0 retracts v1.3.0 and itself: neither is listed.
  mod('example.com/shared', 'v1.4.0', '1.17', [], '\nretract (\n\tv1.3.0 // broken\n\t[v1.4.0, v1.4.0]\n)\n'),
  mod('example.com/never', 'v1.0.0', '1.17'),
];

describe('createGoProcessor', () => {
  let server: StaticRegistryServer;
  let go: BackpackProcessor;

  beforeAll(async () => {
    server = await StaticRegistryServer.start();
    publishGoModules(server, MODULES);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
    go = createGoProcessor({ config: new ConfigReader({ proxy: server.url }), upstream: new UpstreamClient({ retries: 0 }) });
  });

  async function walk(policy: DependencyPolicy) {
    const processors = new ProcessorRegistry();
    processors.add(go);
    const resolver = new ClosureResolver({
      processors,
      compileFilter: compileVersionFilter,
      discover: async (name, id, config) => {
        const result = await processors.get(name).discover({ id, config }, { logger });
        if (result.notModified) throw new Error('unexpected 304');
        return result;
      },
      describe: (name, id, config, version, { dependencyPolicy }) =>
        processors.get(name).describeVersion!({ id, config, version }, { logger, dependencyPolicy }),
    });
    const result = await resolver.resolve([
      { processor: 'go', id: 'example.com/root', filter: 'v1.0.0', dependencyPolicy: policy },
    ]);
    const selected = (id: string) => result.artifacts.find(a => a.id === id)?.selected.map(v => v.version) ?? [];
    const errors = result.artifacts.filter(a => a.error).map(a => `${a.id}: ${a.error!.message}`);
    return { result, selected, errors };
  }

  it('policy latest is minimal version selection: the go.mod alone of versions the graph reads but does not build', async () => {
    const { selected, errors } = await walk('latest');
    expect(errors).toEqual([]);
    expect(selected('example.com/shared')).toEqual(['v1.0.0~go.mod', 'v1.2.0']);
    expect(selected('example.com/a')).toEqual(['v1.0.0']);
    expect(selected('example.com/old')).toEqual(['v1.0.0']);
    // a is pruned: its requirement on never is a version in the graph, never read.
    expect(selected('example.com/never')).toEqual([]);
    expect(server.requestsTo('/example.com/never')).toEqual([]);
    expect(server.requestsTo('/example.com/shared/@v/v1.1.0')).toEqual([]);
  });

  it('describes a version with its go.mod, zip and .info, their sha256 for the collector', async () => {
    const described = await go.describeVersion!(
      { id: 'example.com/shared', config: { moduleGraph: false }, version: 'v1.2.0' },
      { logger },
    );
    const published = MODULES.find(m => m.path === 'example.com/shared' && m.version === 'v1.2.0')!;
    expect(described.publishedAt).toBe('2024-01-02T03:04:05Z');
    expect(described.files.map(f => [f.name, f.path, f.size])).toEqual([
      ['v1.2.0.mod', 'example.com/shared/@v/v1.2.0.mod', published.goMod.length],
      ['v1.2.0.zip', 'example.com/shared/@v/v1.2.0.zip', moduleZip(published).length],
      ['v1.2.0.info', 'example.com/shared/@v/v1.2.0.info', expect.any(Number)],
    ]);
    const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');
    expect(described.files.slice(0, 2).map(f => f.integrity)).toEqual([
      { algorithm: 'sha256', digest: sha256(published.goMod) },
      { algorithm: 'sha256', digest: sha256(moduleZip(published)) },
    ]);
    // Each file is fetched from the proxy at its GOPROXY path.
    expect(described.files.map(f => f.uri.endsWith(`/${f.path}`))).toEqual([true, true, true]);
    expect(described.dependencies).toEqual([]);
    const modOnly = await go.describeVersion!(
      { id: 'example.com/shared', config: {}, version: 'v1.1.0~go.mod' },
      { logger },
    );
    expect(modOnly.files.map(f => f.name)).toEqual(['v1.1.0.mod']);
  });

  it('reads a version once: a second walk downloads no zip and no go.mod again', async () => {
    await walk('latest');
    const first = server.requests.length;
    server.requests.length = 0;
    const { selected } = await walk('latest');
    expect(selected('example.com/shared')).toEqual(['v1.0.0~go.mod', 'v1.2.0']);
    expect(first).toBeGreaterThan(0);
    // Only the listings are asked again (conditionally, in a real run).
    expect(server.requests.map(r => r.path).filter(p => !p.endsWith('/@v/list'))).toEqual([]);
  });

  it('policy all-satisfying adds every later version of a direct requirement in its major path, each with its own graph', async () => {
    const { selected, errors, result } = await walk('all-satisfying');
    expect(errors).toEqual([]);
    // v1.3.0 and v1.4.0 are retracted, so no range selects them; the
    // graphs of a v1.1.0 and old v1.0.0 (their ranges add them, each as a
    // module to build with) have shared v1.1.0 and v1.0.0.
    expect(selected('example.com/shared')).toEqual(['v1.0.0', 'v1.0.0~go.mod', 'v1.1.0', 'v1.2.0']);
    expect(selected('example.com/a')).toEqual(['v1.0.0', 'v1.1.0']);
    // a v1.0.0, now with its own graph, reads never's go.mod.
    expect(selected('example.com/never')).toEqual(['v1.0.0']);
    expect(result.artifacts.find(a => a.id === 'example.com/a')!.config).toEqual({});
  });

  it('lists versions without retracted ones', async () => {
    const result = await go.discover({ id: 'example.com/shared', config: {} }, { logger });
    if (result.notModified) throw new Error('unexpected 304');
    expect(result.versions.map(v => v.version)).toEqual(['v1.0.0', 'v1.1.0', 'v1.2.0']);
  });

  it('lists only versions of the module path, and a module without tags by its @latest pseudo-version', async () => {
    server.set('/example.com/m/v2/@v/list', 'v2.0.0\nv1.0.0\nv3.0.0\nbogus\nv2.1.0 extra words\n');
    server.set('/example.com/m/v2/@v/v2.1.0.mod', goModText('example.com/m/v2', '1.17'));
    const listed = await go.discover({ id: 'example.com/m/v2', config: {} }, { logger });
    if (listed.notModified) throw new Error('unexpected 304');
    expect(listed.versions.map(v => v.version)).toEqual(['v2.0.0', 'v2.1.0']);

    const pseudo = 'v0.0.0-20240101120000-abcdef123456';
    server.set('/example.com/untagged/@v/list', '');
    server.set('/example.com/untagged/@latest', JSON.stringify({ Version: pseudo }));
    server.set(`/example.com/untagged/@v/${pseudo}.mod`, goModText('example.com/untagged', '1.17'));
    const untagged = await go.discover({ id: 'example.com/untagged', config: {} }, { logger });
    if (untagged.notModified) throw new Error('unexpected 304');
    expect(untagged.versions.map(v => v.version)).toEqual([pseudo]);
  });

  it('refuses ids that are no module paths and configs with unknown keys, naming them', async () => {
    expect(() => go.normalizeId!('Example.com/x')).toThrow(/id: 'Example.com\/x' is not a Go module path/);
    expect(() => go.normalizeId!('example.com/x/v1')).toThrow(/major version suffix/);
    expect(go.normalizeId!('example.com/x/v2')).toBe('example.com/x/v2');
    expect(go.configSchema.safeParse({ proxies: 'x' }).success).toBe(false);
    expect(go.configSchema.safeParse({ proxy: 'https://elsewhere.test' }).success).toBe(false);
    await expect(
      go.describeVersion!({ id: 'example.com/shared', config: {}, version: 'v2.0.0' }, { logger }),
    ).rejects.toThrow(/'v2.0.0' is no version of Go module 'example.com\/shared'/);
    await expect(go.discover({ id: 'example.com/missing', config: {} }, { logger })).rejects.toMatchObject({
      name: 'NotFoundError',
    });
  });

  it('refuses a zip whose files are not under module@version/', async () => {
    server.set('/example.com/bad/@v/list', 'v1.0.0\n');
    server.set('/example.com/bad/@v/v1.0.0.mod', goModText('example.com/bad', '1.17'));
    server.set('/example.com/bad/@v/v1.0.0.zip', zipArchive([{ path: 'example.com/other@v1.0.0/go.mod', content: '' }]));
    await expect(
      go.describeVersion!({ id: 'example.com/bad', config: {}, version: 'v1.0.0' }, { logger }),
    ).rejects.toThrow(/example.com\/bad@v1.0.0 zip: example.com\/other@v1.0.0\/go.mod: not under example.com\/bad@v1.0.0\//);
  });

  describe('with a checksum database', () => {
    const shared = MODULES.find(m => m.path === 'example.com/shared' && m.version === 'v1.2.0')!;
    const zipHash = moduleZipHash(moduleZip(shared), 'example.com/shared@v1.2.0/', { maxUnzippedBytes: 1e6, maxFiles: 10 });
    const record = (zip: string) =>
      `42\nexample.com/shared v1.2.0 ${zip}\nexample.com/shared v1.2.0/go.mod ${goModHash(Buffer.from(shared.goMod))}\n\ngo.sum database tree\n`;
    const describe = (config: JsonObject = { moduleGraph: false }) =>
      createGoProcessor({
        config: new ConfigReader({ proxy: server.url, sumdb: `${server.url}/sumdb` }),
        upstream: new UpstreamClient({ retries: 0 }),
      }).describeVersion!({ id: 'example.com/shared', config, version: 'v1.2.0' }, { logger });

    it('accepts a version whose h1: hashes the database confirms', async () => {
      server.set('/sumdb/lookup/example.com/shared@v1.2.0', record(zipHash));
      await expect(describe()).resolves.toMatchObject({ version: 'v1.2.0' });
    });

    it('fails a version whose zip hashes otherwise', async () => {
      server.set('/sumdb/lookup/example.com/shared@v1.2.0', record(`h1:${'A'.repeat(43)}=`));
      await expect(describe()).rejects.toThrow(
        `example.com/shared@v1.2.0 zip: the proxy's bytes hash to ${zipHash}, the checksum database says h1:${'A'.repeat(43)}=`,
      );
    });

    it('records the hashes when the database does not know the module', async () => {
      server.delete('/sumdb/lookup/example.com/shared@v1.2.0');
      await expect(describe()).resolves.toMatchObject({ version: 'v1.2.0' });
      expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining(`does not know it; recorded unchecked: example.com/shared v1.2.0 ${zipHash}`));
    });
  });
});
