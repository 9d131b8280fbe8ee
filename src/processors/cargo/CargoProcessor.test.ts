import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { BuiltCrate, buildCrate, publishSparseRegistry } from '../../__testUtils__/cargoCrates';
import { StaticRegistryServer } from '../../__testUtils__/staticRegistryServer';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { fresh, version } from '../__testUtils__/discoveryResults';
import { BackpackProcessor } from '../types';
import { createCargoProcessor } from './CargoProcessor';

const logger = mockServices.logger.mock();

const CRATES = [
  buildCrate({
    name: 'Subject',
    version: '1.0.0',
    dependencies: [
      { name: 'plain', req: '1.2' },
      { name: 'alias', package: 'real-name', req: '^2', features: ['x'], defaultFeatures: false },
      { name: 'win', req: '0.1', target: 'cfg(windows)' },
      { name: 'builder', req: '0.3', kind: 'build' },
      { name: 'tester', req: '1', kind: 'dev' },
      { name: 'opt', req: '1', optional: true },
      { name: 'pinned', req: '=0.5.0' },
    ],
    features: { default: [], extra: ['opt/fast'] },
  }),
  buildCrate({ name: 'Subject', version: '1.1.0', yanked: true }),
  buildCrate({ name: 'Subject', version: '1.2.0-rc.1' }),
  // Not a version: its file name could not be one path segment either.
  buildCrate({ name: 'Subject', version: '../1.3.0' }),
  buildCrate({ name: 'odd', version: '1.0.0', dependencies: [{ name: 'x', req: '1', features: ['ok', 'not ok!'] }] }),
  buildCrate({
    name: 'twice',
    version: '1.0.0',
    dependencies: [
      { name: 'dup', req: '1', features: ['a'], defaultFeatures: false },
      { name: 'dup', req: '1', features: ['win'], target: 'cfg(windows)', defaultFeatures: false },
      { name: 'dup', req: '1', kind: 'build', features: ['b'] },
    ],
  }),
];

describe('createCargoProcessor', () => {
  let server: StaticRegistryServer;
  let cargo: BackpackProcessor;
  const discover = (id: string, config: JsonObject = {}, validators?: { etag?: string }) =>
    cargo.discover({ id, config }, { logger, validators });
  const crate = (v: string) => CRATES.find(c => c.version === v)!;
  const dependencyIds = (c: { dependencies: Array<{ id: string }> }) => c.dependencies.map(d => d.id).sort();

  beforeAll(async () => {
    server = await StaticRegistryServer.start();
    publishSparseRegistry(server, CRATES);
  });
  afterAll(() => server.close());

  beforeEach(() => {
    cargo = createCargoProcessor({
      config: new ConfigReader({ index: `${server.url}/` }),
      upstream: new UpstreamClient({ retries: 0 }),
    });
  });

  it('describes itself and the hosts of its default registry', () => {
    expect(cargo.name).toBe('cargo');
    expect(cargo.versions.name).toBe('cargo-semver');
    expect(cargo.allowedHosts?.()).toEqual([new URL(server.url).host]);
    expect(createCargoProcessor({ upstream: new UpstreamClient() }).allowedHosts?.()).toEqual([
      'index.crates.io',
      'static.crates.io',
    ]);
    expect(cargo.normalizeId?.('Serde_JSON')).toBe('serde_json');
    expect(() => cargo.normalizeId?.('../x')).toThrow("id: '../x' is not a valid crate name");
  });

  it('lists versions with their .crate, the cksum and the index line byte for byte; yanked ones left out', async () => {
    const result = fresh(await discover('subject'));
    expect(result.versions.map(v => v.version)).toEqual(['1.0.0', '1.2.0-rc.1']);
    const v1 = version(result, '1.0.0');
    expect(v1.files).toEqual([
      {
        name: 'Subject-1.0.0.crate',
        uri: `${server.url}/api/v1/crates/Subject/1.0.0/download`,
        path: 'crates/Subject/Subject-1.0.0.crate',
        integrity: { algorithm: 'sha256', digest: crate('1.0.0').cksum },
      },
    ]);
    expect(v1.metadata).toBe(crate('1.0.0').line);
    expect(result.validators?.etag).toBeDefined();
  });

  it('follows normal and build dependencies under their package names, for every target', async () => {
    const v1 = version(await discover('subject'), '1.0.0');
    expect(dependencyIds(v1)).toEqual(['builder', 'pinned', 'plain', 'real-name', 'win']);
    const renamed = v1.dependencies.find(d => d.id === 'real-name')!;
    expect(renamed).toEqual({
      processor: 'cargo',
      id: 'real-name',
      range: '^2',
      kind: 'runtime',
      config: { features: ['x'], defaultFeatures: false },
    });
    // A dependency that pins a version may take it even when yanked.
    expect(v1.dependencies.find(d => d.id === 'pinned')!.config).toEqual({ yanked: ['0.5.0'] });
  });

  it('adds optional dependencies the requested features enable, with the features asked of them', async () => {
    const v1 = version(await discover('subject', { features: ['extra'] }), '1.0.0');
    expect(v1.dependencies.find(d => d.id === 'opt')!.config).toEqual({ features: ['fast'] });
  });

  it('narrows to configured targets and adds dev-dependencies when asked', async () => {
    const linux = version(await discover('subject', { targets: ['x86_64-unknown-linux-gnu'] }), '1.0.0');
    expect(dependencyIds(linux)).toEqual(['builder', 'pinned', 'plain', 'real-name']);
    // Targets travel along the edges; dev-dependencies do not.
    expect(linux.dependencies.find(d => d.id === 'plain')!.config).toEqual({
      targets: ['x86_64-unknown-linux-gnu'],
    });
    const dev = version(await discover('subject', { includeDev: true }), '1.0.0');
    expect(dependencyIds(dev)).toContain('tester');
    expect(dev.dependencies.find(d => d.id === 'tester')!.config).toEqual({});
  });

  it('drops features no crate could name instead of passing them on', async () => {
    const odd = version(await discover('odd'), '1.0.0');
    expect(odd.dependencies[0].config).toEqual({ features: ['ok'] });
  });

  it('unifies a crate declared several times with one requirement into one edge', async () => {
    const twice = version(await discover('twice'), '1.0.0');
    expect(twice.dependencies).toEqual([
      expect.objectContaining({ id: 'dup', range: '1', config: { features: ['a', 'b', 'win'] } }),
    ]);
  });

  it('lists a yanked version a dependent pins', async () => {
    const result = fresh(await discover('subject', { yanked: ['1.1.0'] }));
    expect(result.versions.map(v => v.version)).toEqual(['1.0.0', '1.1.0', '1.2.0-rc.1']);
  });

  it('answers 304 to a conditional request and NotFoundError for unknown crates', async () => {
    const first = fresh(await discover('subject'));
    expect(await discover('subject', {}, { etag: first.validators!.etag })).toEqual({ notModified: true });
    await expect(discover('missing')).rejects.toThrow(NotFoundError);
  });

  it('refuses bad configs with messages naming the key', async () => {
    await expect(discover('subject', { feature: ['x'] })).rejects.toThrow(/unknown cargo config key\(s\): feature/);
    await expect(discover('subject', { index: 'https://elsewhere.example/' })).rejects.toThrow(
      /config.index: 'https:\/\/elsewhere.example' is not an allowed index/,
    );
    await expect(discover('subject', { targets: ['not a triple'] })).rejects.toThrow(/config.targets\[0\]: must be a target triple/);
  });

  it('marks dependencies from registries it does not read as unresolvable', async () => {
    const other = await StaticRegistryServer.start();
    try {
      const line = JSON.parse(buildCrate({ name: 'foreign', version: '1.0.0', dependencies: [{ name: 'x', req: '1' }] }).line);
      line.deps[0].registry = 'https://other.example/index';
      publishSparseRegistry(other, []);
      other.set('/fo/re/foreign', `${JSON.stringify(line)}\n`);
      const processor = createCargoProcessor({
        config: new ConfigReader({ index: other.url }),
        upstream: new UpstreamClient({ retries: 0 }),
      });
      const found = version(await processor.discover({ id: 'foreign', config: {} }, { logger }), '1.0.0');
      expect(found.dependencies[0].unresolvable).toBe(
        'from a registry Backpack does not read: https://other.example/index',
      );
    } finally {
      await other.close();
    }
  });

  it('lets a dl host elsewhere through the host policy as public-only', async () => {
    const other = await StaticRegistryServer.start();
    try {
      const built = buildCrate({ name: 'far', version: '0.1.0' });
      other.set('/3/f/far', `${built.line}\n`);
      const upstream = new UpstreamClient({ retries: 0 });
      const processor = createCargoProcessor({ config: new ConfigReader({ index: other.url }), upstream });
      other.set('/config.json', JSON.stringify({ dl: 'https://dl.example.com/crates' }));
      const [file] = version(await processor.discover({ id: 'far', config: {} }, { logger }), '0.1.0').files;
      expect(file.uri).toBe('https://dl.example.com/crates/far/0.1.0/download');
      expect(upstream.policy.check(file.uri).host).toBe('dl.example.com');

      // A metadata address is never reached, whatever config.json says.
      const hostileUpstream = new UpstreamClient({ retries: 0 });
      const hostile = createCargoProcessor({ config: new ConfigReader({ index: other.url }), upstream: hostileUpstream });
      other.set('/config.json', JSON.stringify({ dl: 'http://169.254.169.254/latest/{crate}' }));
      const [refused] = version(await hostile.discover({ id: 'far', config: {} }, { logger }), '0.1.0').files;
      expect(refused.uri).toBe('http://169.254.169.254/latest/far');
      expect(() => hostileUpstream.policy.check(refused.uri)).toThrow(/is not in the allowed hosts/);
    } finally {
      await other.close();
    }
  });

  it('reads a relative dl relative to the index, and fails clearly without config.json', async () => {
    const other = await StaticRegistryServer.start();
    try {
      const built: BuiltCrate = buildCrate({ name: 'rel', version: '0.1.0' });
      other.set('/reg/3/r/rel', `${built.line}\n`);
      const processor = createCargoProcessor({
        config: new ConfigReader({ index: `${other.url}/reg` }),
        upstream: new UpstreamClient({ retries: 0 }),
      });
      await expect(processor.discover({ id: 'rel', config: {} }, { logger })).rejects.toThrow(
        /config.json answered 404; is it a sparse registry\?/,
      );
      other.set('/reg/config.json', JSON.stringify({ dl: 'crates/{crate}/{version}/download' }));
      const found = version(await processor.discover({ id: 'rel', config: {} }, { logger }), '0.1.0');
      expect(found.files[0].uri).toBe(`${other.url}/reg/crates/rel/0.1.0/download`);
    } finally {
      await other.close();
    }
  });
});
