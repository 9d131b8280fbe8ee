import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { buildCrate, publishSparseRegistry, TestCrate } from '../../__testUtils__/cargoCrates';
import { StaticRegistryServer } from '../../__testUtils__/staticRegistryServer';
import { ClosureDiscoverFn, ClosureResolver, ClosureResult } from '../../closure/ClosureResolver';
import { ProcessorRegistry } from '../ProcessorRegistry';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { createCargoProcessor } from './CargoProcessor';

// The closure walk over the real Cargo processor: what dependents ask of a
// shared crate (features, default features, yanked pins) travels along the
// edges and is unified, as Cargo unifies it.

const logger = mockServices.logger.mock();

const CRATES: TestCrate[] = [
  {
    name: 'root',
    version: '1.0.0',
    dependencies: [
      { name: 'left', req: '1' },
      { name: 'right', req: '1' },
    ],
  },
  { name: 'left', version: '1.0.0', dependencies: [{ name: 'shared', req: '1', features: ['a'], defaultFeatures: false }] },
  {
    name: 'right',
    version: '1.0.0',
    dependencies: [
      { name: 'shared', req: '1', features: ['b'], defaultFeatures: false },
      { name: 'old', req: '=1.0.1' },
    ],
  },
  {
    name: 'shared',
    version: '1.0.0',
    dependencies: [
      { name: 'via-a', req: '1', optional: true },
      { name: 'via-b', req: '1', optional: true },
      { name: 'via-default', req: '1', optional: true },
    ],
    features: { default: ['via-default'], a: ['via-a'], b: ['via-b'] },
  },
  { name: 'via-a', version: '1.0.0' },
  { name: 'via-b', version: '1.0.0' },
  { name: 'via-default', version: '1.0.0' },
  { name: 'old', version: '1.0.0' },
  { name: 'old', version: '1.0.1', yanked: true },
  { name: 'old', version: '1.0.2', yanked: true },
];

describe('the closure of crates', () => {
  let server: StaticRegistryServer;
  let resolver: ClosureResolver;

  beforeAll(async () => {
    server = await StaticRegistryServer.start();
    publishSparseRegistry(server, CRATES.map(buildCrate));
    const processors = new ProcessorRegistry();
    processors.add(
      createCargoProcessor({ config: new ConfigReader({ index: server.url }), upstream: new UpstreamClient({ retries: 0 }) }),
    );
    const discover: ClosureDiscoverFn = async (processor, id, config, { signal }) => {
      const result = await processors.get(processor).discover({ id, config }, { logger, signal });
      if (result.notModified) throw new Error('no validators were given');
      return result;
    };
    resolver = new ClosureResolver({
      processors,
      discover,
      compileFilter: (filter, _type, scheme) => version => scheme.satisfies(version, filter!),
    });
  });
  afterAll(() => server.close());

  const pairs = (result: ClosureResult) =>
    result.artifacts.flatMap(a => a.selected.map(v => `${a.id}@${v.version}`)).sort();

  it('unifies features from every dependent and keeps yanked versions only where pinned', async () => {
    const result = await resolver.resolve([
      { processor: 'cargo', id: 'root', filter: '1', dependencyPolicy: 'latest' },
    ]);
    expect(pairs(result)).toEqual([
      'left@1.0.0',
      'old@1.0.1',
      'right@1.0.0',
      'root@1.0.0',
      'shared@1.0.0',
      'via-a@1.0.0',
      'via-b@1.0.0',
    ]);
    const shared = result.artifacts.find(a => a.id === 'shared')!;
    expect(shared.config).toEqual({ features: ['a', 'b'], defaultFeatures: false });
  });

  it('turns default features on when one who needs the crate leaves them on', async () => {
    const result = await resolver.resolve([
      { processor: 'cargo', id: 'root', filter: '1', dependencyPolicy: 'latest' },
      { processor: 'cargo', id: 'shared', filter: '1', dependencyPolicy: 'latest' },
    ]);
    // The root `shared` (default features) unified with its dependents' asks.
    expect(pairs(result).filter(p => p.startsWith('via-'))).toEqual([
      'via-a@1.0.0',
      'via-b@1.0.0',
      'via-default@1.0.0',
    ]);
    expect(result.artifacts.find(a => a.id === 'shared')!.config).toEqual({ features: ['a', 'b'] });
  });
});
