import { dependenciesFromRequiresDist } from './requiresDist';

describe('dependenciesFromRequiresDist', () => {
  const base = { project: 'pkg', extras: [], inheritedConfig: {} };

  it('merges a dependency listed for several environments into one union range', () => {
    const dependencies = dependenciesFromRequiresDist(
      [
        'numpy<2; python_version < "3.9"',
        'numpy>=2; python_version >= "3.9"',
        'numpy[dev]>=2; python_version >= "3.9"',
      ],
      base,
    );
    expect(dependencies).toEqual([
      {
        processor: 'pypi',
        id: 'numpy',
        range: '<2 || >=2',
        kind: 'runtime',
        config: { extras: ['dev'] },
      },
    ]);

    const narrowed = dependenciesFromRequiresDist(
      ['numpy<2; python_version < "3.9"', 'numpy>=2; python_version >= "3.9"'],
      { ...base, pythonVersions: ['3.12'] },
    );
    expect(narrowed.map(d => d.range)).toEqual(['>=2']);
  });

  it('lets an unconstrained line make the union unconstrained', () => {
    const [dependency] = dependenciesFromRequiresDist(['six>=1.5', 'Six; os_name == "nt"'], base);
    expect(dependency.range).toBe('');
  });

  it('marks direct URL requirements unresolvable and reports unparsable lines', () => {
    const invalid: string[] = [];
    const dependencies = dependenciesFromRequiresDist(
      ['tool @ https://example.com/tool.zip', 'bad >=> 1'],
      { ...base, onInvalid: line => invalid.push(line) },
    );
    expect(dependencies).toEqual([
      {
        processor: 'pypi',
        id: 'tool',
        range: '',
        kind: 'runtime',
        config: {},
        unresolvable: 'direct URL requirement https://example.com/tool.zip',
      },
    ]);
    expect(invalid).toEqual(['bad >=> 1']);
  });
});
