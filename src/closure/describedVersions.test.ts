import { NotFoundError } from '@backstage/errors';
import { z } from 'zod';
import { semverScheme } from '../processors/npm/semverScheme';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';
import { BackpackProcessor, ProcessorVersion, VersionScheme } from '../processors/types';
import { ClosureResolver, ClosureRoot } from './ClosureResolver';
import { compileVersionFilter } from './versionFilter';

// Processors whose listing is cheap and whose versions are described on
// demand (OCI tags): the walk describes exactly the versions it selects,
// once each, and a pin selects a version the listing lacks.

const PIN = /^sha256:[0-9a-f]{64}$/;
const pinnable: VersionScheme = {
  ...semverScheme,
  name: 'tags',
  isValidRange: range => PIN.test(range) || semverScheme.isValidRange(range),
  satisfies: (version, range) => (PIN.test(range) ? version === range : semverScheme.satisfies(version, range)),
  pinnedVersion: range => (PIN.test(range) ? range : undefined),
};

const pin = `sha256:${'c'.repeat(64)}`;

function setup(options: { broken?: string[] } = {}) {
  const described: string[] = [];
  const listed: Record<string, string[]> = {
    image: ['1.0.0', '1.1.0', '2.0.0'],
    chart: ['1.0.0'],
  };
  const describe = async (id: string, version: string): Promise<ProcessorVersion> => {
    described.push(`${id}@${version}`);
    if (options.broken?.includes(version)) throw new Error(`manifest of ${version} is malformed`);
    if (!listed[id].includes(version) && version !== pin) throw new NotFoundError(`${version} not found`);
    return {
      version,
      files: [{ name: `${version}.json`, uri: `http://r.test/${id}/${version}`, path: `${id}/${version}.json` }],
      // The chart needs an image by pin and one by range.
      dependencies:
        id === 'chart'
          ? [
              { processor: 'lazy', id: 'image', range: pin, kind: 'runtime' },
              { processor: 'lazy', id: 'image', range: '^1.0.0', kind: 'runtime' },
            ]
          : [],
    };
  };
  const processor: BackpackProcessor = {
    name: 'lazy',
    description: 'versions described on demand',
    configSchema: z.object({}),
    versions: pinnable,
    discover: async ({ id }) => ({
      notModified: false,
      // Listings carry no files and no dependencies; the walk ignores them.
      versions: listed[id].map(version => ({ version, files: [], dependencies: [] })),
    }),
    describeVersion: ({ id, version }) => describe(id, version),
  };
  const processors = new ProcessorRegistry();
  processors.add(processor);
  const resolver = new ClosureResolver({
    processors,
    compileFilter: compileVersionFilter,
    discover: async (name, id, config) => {
      const result = await processors.get(name).discover({ id, config }, { logger: console as any });
      if (result.notModified) throw new Error('unexpected');
      return result;
    },
    describe: (name, id, config, version) =>
      processors.get(name).describeVersion!({ id, config, version }, { logger: console as any }),
  });
  return { resolver, described };
}

const root = (id: string, filter?: string): ClosureRoot => ({
  processor: 'lazy',
  id,
  filter,
  dependencyPolicy: 'latest',
});

describe('versions described on demand', () => {
  it('describes exactly the selected versions, once each, and carries their files', async () => {
    const { resolver, described } = setup();
    const result = await resolver.resolve([root('image', '^1.0.0'), root('chart')]);
    const image = result.artifacts.find(a => a.id === 'image')!;
    expect(image.selected.map(v => v.version)).toEqual([pin, '1.0.0', '1.1.0'].sort(pinnable.compare));
    expect(described.sort()).toEqual(['chart@1.0.0', `image@${pin}`, 'image@1.0.0', 'image@1.1.0'].sort());
    const files = Object.fromEntries(image.discovery!.versions.map(v => [v.version, v.files.map(f => f.name)]));
    expect(files).toEqual({ '1.0.0': ['1.0.0.json'], '1.1.0': ['1.1.0.json'], '2.0.0': [], [pin]: [`${pin}.json`] });
    const chart = result.artifacts.find(a => a.id === 'chart')!;
    expect(chart.selected[0].dependencies.map(d => [d.range, d.resolved])).toEqual([
      [pin, [pin]],
      ['^1.0.0', ['1.1.0']],
    ]);
  });

  it('selects a pinned version the listing lacks when a root filter pins it', async () => {
    const { resolver, described } = setup();
    const result = await resolver.resolve([root('image', pin)]);
    expect(result.artifacts[0].selected.map(v => v.version)).toEqual([pin]);
    expect(result.artifacts[0].selected[0].selection).toEqual([{ type: 'filter', filter: pin }]);
    expect(described).toEqual([`image@${pin}`]);
  });

  it('records a version that cannot be described as the artifact failing, and walks on', async () => {
    const { resolver } = setup({ broken: ['1.1.0'] });
    const result = await resolver.resolve([root('image', '^1.0.0')]);
    const [image] = result.artifacts;
    expect(image.error).toEqual({
      type: 'failed',
      message: 'version 1.1.0 could not be described: manifest of 1.1.0 is malformed',
    });
    expect(image.discovery!.versions.find(v => v.version === '1.0.0')!.files).toHaveLength(1);
  });
});
