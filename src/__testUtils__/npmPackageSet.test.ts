import semver from 'semver';
import { generateNpmPackageSet, npmClosureOf } from './npmPackageSet';

describe('npmClosureOf', () => {
  it('follows dependencies, optionals, peers and aliases, not optional peers or dev dependencies', () => {
    const closure = npmClosureOf(
      [
        {
          name: 'app',
          versions: {
            '1.0.0': {
              dependencies: { lib: '^1.0.0', 'lib-two': 'npm:lib@^2.0.0', tagged: 'next' },
              optionalDependencies: { opt: '~1.0.0' },
              peerDependencies: { peer: '*', 'optional-peer': '*' },
              peerDependenciesMeta: { 'optional-peer': { optional: true } },
              devDependencies: { dev: '*' },
            },
          },
        },
        { name: 'lib', versions: { '1.0.0': {}, '1.2.0': { dependencies: { app: '1.0.0' } }, '2.0.0': {}, '3.0.0': {} } },
        { name: 'tagged', versions: { '1.0.0': {}, '2.0.0-beta.1': {} }, distTags: { latest: '1.0.0', next: '2.0.0-beta.1' } },
        { name: 'opt', versions: { '1.0.0': {}, '1.0.5': {}, '1.1.0': {} } },
        { name: 'peer', versions: { '1.0.0': {}, '2.0.0-rc.1': {} } },
        { name: 'optional-peer', versions: { '1.0.0': {} } },
        { name: 'dev', versions: { '1.0.0': {} } },
      ],
      [{ name: 'app', version: '1.0.0' }],
    );
    expect(closure).toEqual([
      'app@1.0.0',
      'lib@1.2.0',
      'lib@2.0.0',
      'opt@1.0.5',
      'peer@1.0.0',
      'tagged@2.0.0-beta.1',
    ]);
  });
});

describe('generateNpmPackageSet', () => {
  it('gives the same set for the same options, and another for another seed', () => {
    const { resolve: _, ...one } = generateNpmPackageSet();
    const { resolve: __, ...again } = generateNpmPackageSet();
    expect(again).toEqual(one);
    expect(generateNpmPackageSet({ seed: 3 }).closure).not.toEqual(one.closure);
  });

  it('names packages with the prefix, scoped and plain, and mirrors a version that is not the latest', () => {
    const set = generateNpmPackageSet({ prefix: 'other' });
    expect(set.packages.every(p => p.name.startsWith('other-') || p.name.startsWith('@other/'))).toBe(true);
    const root = set.packages.find(p => p.name === set.root.name)!;
    expect(root.distTags?.latest).not.toBe(set.root.version);
    expect(semver.valid(set.root.version)).toBeTruthy();
    expect(set.closure).toContain(`${set.root.name}@${set.root.version}`);
    // Packages and versions outside the closure are published too.
    const published = set.packages.flatMap(p => Object.keys(p.versions).map(v => `${p.name}@${v}`));
    expect(published.length).toBeGreaterThan(set.closure.length * 2);
    expect(set.packages.length).toBeGreaterThan(set.names.length);
  });

  it('resolves a range to the highest published version that satisfies it', () => {
    const set = generateNpmPackageSet();
    const pkg = set.packages.find(p => Object.keys(p.versions).length > 3)!;
    const highest = set.packages.find(p => p === pkg)!.distTags!.latest;
    expect(set.resolve(pkg.name, '*')).toBe(highest);
    expect(set.resolve(pkg.name, 'latest')).toBe(highest);
    expect(set.resolve(pkg.name, '>=999')).toBeUndefined();
    expect(set.resolve('no-such-package', '*')).toBeUndefined();
  });

  it.each([1, 2, 3, 5, 8, 13])('has every feature with seed %p, or says which it lacks', seed => {
    // generateNpmPackageSet throws when a feature is missing.
    const set = generateNpmPackageSet({ seed });
    expect(set.closure.length).toBeGreaterThan(set.names.length);
  });
});
