import { generateNpmPackageSet } from '../__testUtils__/npmPackageSet';
import { startVerdaccio, TestNpmRegistry } from '../__testUtils__/verdaccio';
import { ClosureResolver } from './ClosureResolver';
import {
  artifact,
  createTestResolver,
  dependency,
  pairs,
  root,
  selected,
} from './__testUtils__/resolverKit';

// Two generated package sets stand in for the express and jest closures of
// the real corpus (see ClosureResolver.corpus.test.ts).
const small = generateNpmPackageSet({ prefix: 'gen' });
const large = generateNpmPackageSet({ prefix: 'big', seed: 12, size: 40 });

describe('ClosureResolver', () => {
  let registry: TestNpmRegistry;
  let calls: string[];
  let failing: Set<string>;
  let resolver: ClosureResolver;

  beforeAll(async () => {
    registry = await startVerdaccio([...small.packages, ...large.packages]);
    const publish = registry.publish;
    // Synthetic packages for the edge cases, next to the generated sets.
    await publish({
      name: 'syn-a',
      versions: { '1.0.0': { dependencies: { 'syn-b': '^1.0.0' } } },
    });
    await publish({
      name: 'syn-b',
      versions: {
        '1.0.0': { dependencies: { 'syn-a': '^1.0.0' } },
        '1.1.0': { dependencies: { 'syn-b': '1.0.0', 'syn-a': '1' } },
      },
    });
    await publish({
      name: 'syn-d',
      versions: {
        '1.0.0': {},
        '1.5.0': {},
        '2.0.0': {},
        '2.1.0': {},
        '3.0.0-beta.1': {},
      },
      distTags: { latest: '2.1.0', next: '3.0.0-beta.1', broken: '9.9.9' },
    });
    await publish({
      name: 'syn-parent-one',
      versions: { '1.0.0': { dependencies: { 'syn-d': '^1.0.0' } } },
    });
    await publish({
      name: 'syn-parent-two',
      versions: { '1.0.0': { dependencies: { 'syn-d': '~2.0.0' } } },
    });
    await publish({
      name: 'syn-alias',
      versions: {
        '1.0.0': {
          dependencies: { 'syn-d-v1': 'npm:syn-d@^1', 'syn-d': '^2', 'syn-any': 'npm:syn-leaf' },
        },
      },
    });
    await publish({
      name: 'syn-broken',
      versions: {
        '1.0.0': {
          dependencies: {
            'syn-missing': '^1.0.0',
            'syn-d': '^9.0.0',
            'syn-git': 'github:user/repo',
            'syn-leaf': '^1.0.0',
            'syn-failing': '^1.0.0',
          },
        },
      },
    });
    await publish({
      name: 'syn-kinds',
      versions: {
        '1.0.0': {
          dependencies: { 'syn-d': 'next' },
          optionalDependencies: { 'syn-opt': '^1.0.0' },
          peerDependencies: { 'syn-peer': '^1.0.0', 'syn-optional-peer': '^1.0.0' },
          peerDependenciesMeta: { 'syn-optional-peer': { optional: true } },
        },
      },
    });
    await publish({
      name: 'syn-tags',
      versions: {
        '1.0.0': { dependencies: { 'syn-d': 'latest' } },
        '2.0.0': { dependencies: { 'syn-d': 'broken' } },
        '3.0.0': { dependencies: { 'syn-d': 'no-such-tag' } },
      },
    });
    await publish({
      name: 'syn-policy',
      versions: { '1.0.0': { dependencies: { 'syn-d': '^1.0.0', 'syn-mid': '^1.0.0' } } },
    });
    await publish({
      name: 'syn-mid',
      versions: { '1.0.0': { dependencies: { 'syn-d': '>=1.0.0' } } },
    });
    for (const name of ['syn-leaf', 'syn-opt', 'syn-peer', 'syn-optional-peer', 'syn-failing']) {
      await publish({ name, versions: { '1.0.0': {}, '1.0.1': {} } });
    }
  });

  afterAll(async () => {
    await registry?.stop();
  });

  beforeEach(() => {
    ({ calls, failing, resolver } = createTestResolver(registry.url));
  });

  it('selects exactly the closure of a generated package set', async () => {
    const result = await resolver.resolve([root(small.root.name, small.root.version)]);
    expect(pairs(result)).toEqual(small.closure);
    expect(result.stats.unresolvable).toBe(0);
    // Every artifact is discovered once, however many parents require it.
    expect(new Set(calls).size).toBe(calls.length);
    expect(result.stats.discoveries).toBe(calls.length);

    const top = result.artifacts[0];
    const published = small.packages.find(p => p.name === small.root.name)!;
    expect(top).toMatchObject({ id: small.root.name, root: true, key: `npm:${small.root.name}` });
    expect(top.selected).toHaveLength(1);
    expect(top.selected[0].selection).toEqual([{ type: 'filter', filter: small.root.version }]);
    expect(top.discovery?.versions).toHaveLength(Object.keys(published.versions).length);
    const [dep, range] = Object.entries(published.versions[small.root.version].dependencies!)[0];
    const resolved = small.resolve(dep, range)!;
    expect(dependency(result, small.root.name, small.root.version, dep)).toEqual([
      { processor: 'npm', id: dep, range, kind: 'runtime', config: {}, resolved: [resolved] },
    ]);
    expect(artifact(result, dep)).toMatchObject({ root: false, dependencyPolicy: 'latest' });
    expect(artifact(result, dep).selected.find(v => v.version === resolved)!.selection).toContainEqual({
      type: 'required-by',
      processor: 'npm',
      id: small.root.name,
      version: small.root.version,
      range,
    });
  });

  it('selects exactly the closure of a larger generated package set', async () => {
    const result = await resolver.resolve([root(large.root.name, large.root.version)]);
    expect(pairs(result)).toEqual(large.closure);
    expect(result.stats.unresolvable).toBe(0);
    expect(new Set(calls).size).toBe(calls.length);
  });

  it('terminates on cycles', async () => {
    // syn-a → syn-b@1.1.0 → (syn-b@1.0.0 → syn-a, and syn-a itself)
    const closure = ['syn-a@1.0.0', 'syn-b@1.0.0', 'syn-b@1.1.0'];
    const result = await resolver.resolve([root('syn-a', '')]);
    expect(pairs(result)).toEqual(closure);
    expect(artifact(result, 'syn-a').selected[0].selection).toEqual([
      { type: 'all-versions' },
      { type: 'required-by', processor: 'npm', id: 'syn-b', version: '1.0.0', range: '^1.0.0' },
      { type: 'required-by', processor: 'npm', id: 'syn-b', version: '1.1.0', range: '1' },
    ]);
    expect(artifact(result, 'syn-b').selected[0].selection).toEqual([
      { type: 'required-by', processor: 'npm', id: 'syn-b', version: '1.1.0', range: '1.0.0' },
    ]);

    const fromB = await resolver.resolve([root('syn-b', '1.0.0')]);
    expect(pairs(fromB)).toEqual(closure);
  });

  it('selects both versions when two parents require different ranges', async () => {
    const result = await resolver.resolve([
      root('syn-parent-one', '1.0.0'),
      root('syn-parent-two', '1.0.0'),
    ]);
    expect(selected(result, 'syn-d')).toEqual(['1.5.0', '2.0.0']);
    expect(calls.filter(id => id === 'syn-d')).toHaveLength(1);
  });

  it('follows npm aliases to the real package', async () => {
    const result = await resolver.resolve([root('syn-alias', '1.0.0')]);
    expect(pairs(result)).toEqual([
      'syn-alias@1.0.0',
      'syn-d@1.5.0',
      'syn-d@2.1.0',
      'syn-leaf@1.0.1',
    ]);
    expect(dependency(result, 'syn-alias', '1.0.0', 'syn-d')).toEqual([
      expect.objectContaining({ range: '^1', resolved: ['1.5.0'] }),
      expect.objectContaining({ range: '^2', resolved: ['2.1.0'] }),
    ]);
    expect(result.artifacts.map(a => a.id)).not.toContain('syn-d-v1');
  });

  it('records unresolvable dependencies without failing the walk', async () => {
    failing.add('syn-failing');
    const result = await resolver.resolve([root('syn-broken', '1.0.0')]);
    const deps = artifact(result, 'syn-broken').selected[0].dependencies;
    const reasons = Object.fromEntries(deps.map(d => [d.id, d.unresolvable ?? d.resolved]));
    expect(reasons).toEqual({
      'syn-missing': `unknown package: npm package 'syn-missing' not found at ${registry.url}`,
      'syn-d': "no version of 'syn-d' satisfies '^9.0.0'",
      'syn-git': 'unsupported spec: git',
      'syn-leaf': ['1.0.1'],
      'syn-failing': 'discovery failed: upstream broke for syn-failing',
    });
    expect(result.stats.unresolvable).toBe(4);
    expect(pairs(result)).toEqual(['syn-broken@1.0.0', 'syn-leaf@1.0.1']);
    expect(artifact(result, 'syn-missing').error).toEqual({
      type: 'not-found',
      message: `npm package 'syn-missing' not found at ${registry.url}`,
    });
    expect(artifact(result, 'syn-failing').error?.type).toBe('failed');
    // Unsupported specs are never looked up.
    expect(calls).not.toContain('syn-git');
  });

  it('records root discovery errors on the artifact', async () => {
    failing.add('syn-failing');
    const result = await resolver.resolve([
      root('syn-nowhere', ''),
      root('syn-failing', ''),
      root('syn-leaf', '[', { filterType: 'regex' }),
      root('syn-a', '1.0.0'),
    ]);
    expect(artifact(result, 'syn-nowhere')).toMatchObject({
      root: true,
      error: { type: 'not-found' },
      selected: [],
    });
    expect(artifact(result, 'syn-failing').error).toEqual({
      type: 'failed',
      message: 'upstream broke for syn-failing',
    });
    expect(artifact(result, 'syn-leaf').error?.type).toBe('invalid-filter');
    expect(artifact(result, 'syn-leaf').discovery).toBeDefined();
    // The healthy root is walked as usual.
    expect(pairs(result)).toEqual(['syn-a@1.0.0', 'syn-b@1.0.0', 'syn-b@1.1.0']);
  });

  it('follows peer and optional dependencies but not optional peers, and resolves dist-tags', async () => {
    const result = await resolver.resolve([root('syn-kinds', '1.0.0')]);
    expect(pairs(result)).toEqual([
      'syn-d@3.0.0-beta.1',
      'syn-kinds@1.0.0',
      'syn-opt@1.0.1',
      'syn-peer@1.0.1',
    ]);
    const kinds = artifact(result, 'syn-kinds').selected[0].dependencies.map(d => [d.id, d.kind]);
    expect(kinds).toEqual([
      ['syn-peer', 'peer'],
      ['syn-d', 'runtime'],
      ['syn-opt', 'optional'],
    ]);
    expect(calls).not.toContain('syn-optional-peer');
  });

  it('resolves dist-tag ranges and reports unknown or dangling tags', async () => {
    const result = await resolver.resolve([root('syn-tags', '')]);
    expect(selected(result, 'syn-d')).toEqual(['2.1.0']);
    expect(dependency(result, 'syn-tags', '2.0.0', 'syn-d')?.[0].unresolvable).toBe(
      "tag 'broken' of 'syn-d' names 9.9.9, which is not published",
    );
    expect(dependency(result, 'syn-tags', '3.0.0', 'syn-d')?.[0].unresolvable).toBe(
      "'no-such-tag' is neither a semver range nor a tag of 'syn-d'",
    );
  });

  it('applies the parent policy: none, all-satisfying and all', async () => {
    const none = await resolver.resolve([root('syn-policy', '1.0.0', { dependencyPolicy: 'none' })]);
    expect(pairs(none)).toEqual(['syn-policy@1.0.0']);
    expect(dependency(none, 'syn-policy', '1.0.0', 'syn-d')).toEqual([
      expect.objectContaining({ range: '^1.0.0', resolved: [] }),
    ]);
    expect(calls).toEqual(['syn-policy']);

    // The root's policy covers its own edges; syn-mid, reached as a
    // dependency, resolves `>=1.0.0` to the latest only.
    const satisfying = await resolver.resolve([
      root('syn-policy', '1.0.0', { dependencyPolicy: 'all-satisfying' }),
    ]);
    expect(selected(satisfying, 'syn-d')).toEqual(['1.0.0', '1.5.0', '2.1.0']);
    expect(dependency(satisfying, 'syn-policy', '1.0.0', 'syn-d')?.[0].resolved).toEqual([
      '1.0.0',
      '1.5.0',
    ]);
    expect(dependency(satisfying, 'syn-mid', '1.0.0', 'syn-d')?.[0].resolved).toEqual(['2.1.0']);

    const all = await resolver.resolve([root('syn-policy', '1.0.0', { dependencyPolicy: 'all' })]);
    expect(selected(all, 'syn-d')).toEqual(['1.0.0', '1.5.0', '2.0.0', '2.1.0', '3.0.0-beta.1']);
  });

  it('keeps the root settings of an artifact that is also reached as a dependency', async () => {
    const result = await resolver.resolve([
      root('syn-policy', '1.0.0'),
      root('syn-d', '^2.0.0', { dependencyPolicy: 'none' }),
      root('syn-leaf', '^1', { filterType: 'regex' }),
    ]);
    expect(artifact(result, 'syn-d')).toMatchObject({ root: true, dependencyPolicy: 'none' });
    const d = artifact(result, 'syn-d').selected;
    expect(d.map(v => [v.version, v.selection.map(s => s.type)])).toEqual([
      ['1.5.0', ['required-by']],
      ['2.0.0', ['filter']],
      ['2.1.0', ['filter', 'required-by']],
    ]);
    // `^1` as a regular expression matches versions starting with 1.
    expect(selected(result, 'syn-leaf')).toEqual(['1.0.0', '1.0.1']);
    expect(result.artifacts.slice(0, 3).map(a => a.id)).toEqual(['syn-policy', 'syn-d', 'syn-leaf']);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('run cancelled'));
    await expect(
      resolver.resolve([root(small.root.name, small.root.version)], { signal: controller.signal }),
    ).rejects.toThrow('run cancelled');
    expect(calls).toEqual([]);

    const midway = new AbortController();
    const walk = resolver.resolve([root(large.root.name, large.root.version)], { signal: midway.signal });
    setImmediate(() => midway.abort(new Error('cancelled midway')));
    await expect(walk).rejects.toThrow('cancelled midway');
  });
});
