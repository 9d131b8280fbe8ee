import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startNpmCorpusVerdaccio, TestNpmRegistry } from '../__testUtils__/verdaccio';
import { createNpmProcessor } from '../processors/npm/NpmProcessor';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';
import { UpstreamClient } from '../upstream/UpstreamClient';
import {
  ClosureArtifact,
  ClosureDiscoverFn,
  ClosureFilterCompiler,
  ClosureResolver,
  ClosureResult,
  ClosureRoot,
} from './ClosureResolver';

const logger = mockServices.logger.mock();
const fixtures = path.resolve(__dirname, '../../../shared/fixtures');

// The real filter module compiles with RE2; a plain RegExp is enough here.
const compileFilter: ClosureFilterCompiler = (filter, filterType, scheme) => {
  if (filterType === 'regex') {
    const regex = new RegExp(filter!);
    return version => regex.test(version);
  }
  return version => scheme.satisfies(version, filter!);
};

async function readClosure(name: string): Promise<string[]> {
  const text = await fs.readFile(path.join(fixtures, `npm-corpus.${name}.closure.txt`), 'utf8');
  return text.split('\n').filter(Boolean).sort();
}

function pairs(result: ClosureResult): string[] {
  return result.artifacts
    .flatMap(a => a.selected.map(v => `${a.id}@${v.version}`))
    .sort();
}

function artifact(result: ClosureResult, id: string): ClosureArtifact {
  const found = result.artifacts.find(a => a.id === id);
  if (!found) throw new Error(`artifact ${id} not reached`);
  return found;
}

function selected(result: ClosureResult, id: string): string[] {
  return artifact(result, id).selected.map(v => v.version);
}

function dependency(result: ClosureResult, id: string, version: string, dep: string) {
  const v = artifact(result, id).selected.find(s => s.version === version);
  return v?.dependencies.filter(d => d.id === dep);
}

const root = (id: string, filter: string, extra: Partial<ClosureRoot> = {}): ClosureRoot => ({
  processor: 'npm',
  id,
  filter,
  dependencyPolicy: 'latest',
  ...extra,
});

describe('ClosureResolver', () => {
  let registry: TestNpmRegistry;
  let processors: ProcessorRegistry;
  let calls: string[];
  let failing: Set<string>;
  let resolver: ClosureResolver;

  beforeAll(async () => {
    registry = await startNpmCorpusVerdaccio();
    const publish = registry.publish;
    // Synthetic packages for the edge cases, next to the real corpus.
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
    processors = new ProcessorRegistry();
    processors.add(
      createNpmProcessor({
        config: new ConfigReader({ registry: registry.url }),
        upstream: new UpstreamClient({ retries: 0 }),
      }),
    );
    calls = [];
    failing = new Set();
    const discover: ClosureDiscoverFn = async (processor, id, config, { signal }) => {
      calls.push(id);
      if (failing.has(id)) throw new Error(`upstream broke for ${id}`);
      const result = await processors.get(processor).discover({ id, config }, { logger, signal });
      if (result.notModified) throw new Error('no validators were given');
      return result;
    };
    resolver = new ClosureResolver({ processors, discover, compileFilter });
  });

  it('selects exactly the express@4.21.2 closure of the corpus', async () => {
    const result = await resolver.resolve([root('express', '4.21.2')]);
    expect(pairs(result)).toEqual(await readClosure('express'));
    expect(result.stats.unresolvable).toBe(0);
    // Every artifact is discovered once, however many parents require it.
    expect(new Set(calls).size).toBe(calls.length);
    expect(result.stats.discoveries).toBe(calls.length);

    const express = result.artifacts[0];
    expect(express).toMatchObject({ id: 'express', root: true, key: 'npm:express' });
    expect(express.selected).toHaveLength(1);
    expect(express.selected[0].selection).toEqual([{ type: 'filter', filter: '4.21.2' }]);
    expect(express.discovery?.versions).toHaveLength(290);
    expect(dependency(result, 'express', '4.21.2', 'accepts')).toEqual([
      {
        processor: 'npm',
        id: 'accepts',
        range: '~1.3.8',
        kind: 'runtime',
        config: {},
        resolved: ['1.3.8'],
      },
    ]);
    expect(artifact(result, 'accepts')).toMatchObject({ root: false, dependencyPolicy: 'latest' });
    expect(artifact(result, 'accepts').selected[0].selection).toEqual([
      { type: 'required-by', processor: 'npm', id: 'express', version: '4.21.2', range: '~1.3.8' },
    ]);
  });

  it('selects exactly the jest@29.7.0 closure of the corpus', async () => {
    const result = await resolver.resolve([root('jest', '29.7.0')]);
    expect(pairs(result)).toEqual(await readClosure('jest'));
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
      resolver.resolve([root('express', '4.21.2')], { signal: controller.signal }),
    ).rejects.toThrow('run cancelled');
    expect(calls).toEqual([]);

    const midway = new AbortController();
    const walk = resolver.resolve([root('jest', '29.7.0')], { signal: midway.signal });
    setImmediate(() => midway.abort(new Error('cancelled midway')));
    await expect(walk).rejects.toThrow('cancelled midway');
  });
});
