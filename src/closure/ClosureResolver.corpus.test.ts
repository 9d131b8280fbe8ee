import { readNpmClosure, startNpmCorpusVerdaccio } from '../__testUtils__/npmCorpus';
import { TestNpmRegistry } from '../__testUtils__/verdaccio';
import { ClosureResolver } from './ClosureResolver';
import { artifact, createTestResolver, dependency, pairs, root } from './__testUtils__/resolverKit';

// The walk over the frozen real npm corpus (npm run test:corpus): the exact
// closures of express and jest as the corpus lists them.

describe('ClosureResolver over the npm corpus', () => {
  let registry: TestNpmRegistry;
  let calls: string[];
  let resolver: ClosureResolver;

  beforeAll(async () => {
    registry = await startNpmCorpusVerdaccio();
  });

  afterAll(async () => {
    await registry?.stop();
  });

  beforeEach(() => {
    ({ calls, resolver } = createTestResolver(registry.url));
  });

  it('selects exactly the express@4.21.2 closure of the corpus', async () => {
    const result = await resolver.resolve([root('express', '4.21.2')]);
    expect(pairs(result)).toEqual(await readNpmClosure('express'));
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
    expect(pairs(result)).toEqual(await readNpmClosure('jest'));
    expect(result.stats.unresolvable).toBe(0);
    expect(new Set(calls).size).toBe(calls.length);
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
