import { z } from 'zod';
import { inMemoryProcessor } from '../__testUtils__/inMemoryProcessor';
import { AdmissionVerdict } from '../admission/types';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';
import { ClosureAdmissionRequest, ClosureResolver, ClosureRoot } from './ClosureResolver';
import { compileVersionFilter } from './versionFilter';

const processor = inMemoryProcessor({
  name: 'mem',
  description: 'In-memory packages',
  configSchema: z.strictObject({}),
  packages: {
    app: { '1.0.0': { lib: '^1.0.0', tagged: 'latest', all: '*', held: '^1.0.0' } },
    lib: { '1.0.0': {}, '1.1.0': {}, '1.2.0': {}, '2.0.0': {} },
    tagged: { '1.0.0': {}, '2.0.0': {} },
    all: { '1.0.0': {}, '2.0.0': {} },
    held: { '1.0.0': { deep: '^1.0.0' } },
    deep: { '1.0.0': {} },
  },
  file: (id, version) => ({ uri: `http://127.0.0.1:1/${id}/${version}`, content: `${id}@${version}` }),
});

/** Denies `lib@1.2.0`, `lib@1.1.0`, `tagged@2.0.0`, `all@2.0.0` and `app@2.0.0`; holds `held`. */
function admit(asked: ClosureAdmissionRequest[]) {
  return async (request: ClosureAdmissionRequest): Promise<AdmissionVerdict> => {
    asked.push(request);
    const pair = `${request.id}@${request.version}`;
    if (['lib@1.2.0', 'lib@1.1.0', 'tagged@2.0.0', 'all@2.0.0'].includes(pair)) {
      return { decision: 'deny', reasons: [{ check: 'test', decision: 'deny', reason: `no ${pair}` }], revision: 'r' };
    }
    if (request.id === 'held') {
      return { decision: 'pending-approval', reasons: [{ check: 'test', decision: 'pending-approval', reason: 'review' }], revision: 'r' };
    }
    return { decision: 'allow', reasons: [], revision: 'r' };
  };
}

describe('the admission gate of the closure walk', () => {
  const processors = new ProcessorRegistry();
  processors.add(processor);

  async function walk(roots: ClosureRoot[]) {
    const asked: ClosureAdmissionRequest[] = [];
    const resolver = new ClosureResolver({
      processors,
      compileFilter: compileVersionFilter,
      discover: async (_processor, id, config) => {
        const result = await processor.discover({ id, config }, { logger: undefined as never });
        if (result.notModified) throw new Error('unexpected 304');
        return { ...result, tags: { latest: id === 'tagged' ? '2.0.0' : '1.0.0' } };
      },
      admit: admit(asked),
    });
    return { closure: await resolver.resolve(roots), asked };
  }

  it('takes the best allowed version a range admits, never substitutes for a tag, and keeps what waits', async () => {
    const { closure, asked } = await walk([{ processor: 'mem', id: 'app', dependencyPolicy: 'latest' }]);
    const byId = Object.fromEntries(closure.artifacts.map(a => [a.id, a]));
    const deps = Object.fromEntries(
      byId.app.selected[0].dependencies.map(d => [d.id, d.unresolvable ?? d.resolved.join(',')]),
    );
    expect(deps).toEqual({
      lib: '1.0.0',
      tagged: "no allowed version of 'tagged' satisfies 'latest': 2.0.0 denied (test: no tagged@2.0.0)",
      all: '1.0.0',
      held: '1.0.0',
    });
    expect(byId.lib.refused?.map(r => r.version)).toEqual(['1.1.0', '1.2.0']);
    expect(byId.lib.refused?.[0].selection).toEqual([
      { type: 'required-by', processor: 'mem', id: 'app', version: '1.0.0', range: '^1.0.0' },
    ]);
    // 2.0.0 lies outside the range: never asked about.
    expect(asked.filter(a => a.id === 'lib').map(a => a.version)).toEqual(['1.2.0', '1.1.0', '1.0.0']);
    // A waiting version is selected and walked.
    expect(byId.held.selected[0].admission?.decision).toBe('pending-approval');
    expect(byId.deep.selected.map(v => v.version)).toEqual(['1.0.0']);
    expect(asked.find(a => a.id === 'deep')?.path).toEqual([
      { processor: 'mem', id: 'app', version: '1.0.0', range: '^1.0.0' },
      { processor: 'mem', id: 'held', version: '1.0.0', range: '^1.0.0' },
    ]);
    expect(asked.find(a => a.id === 'lib')?.described?.files[0].name).toBe('lib-1.2.0.tgz');
    expect(closure.stats).toMatchObject({ versionsDenied: 4, versionsPendingApproval: 1 });
  });

  it('leaves denied versions of a root out and asks about each version once', async () => {
    const { closure, asked } = await walk([
      { processor: 'mem', id: 'lib', filter: '>=1.0.0', filterType: 'semver', dependencyPolicy: 'all-satisfying' },
      { processor: 'mem', id: 'app', dependencyPolicy: 'all-satisfying' },
    ]);
    const lib = closure.artifacts.find(a => a.id === 'lib')!;
    expect(lib.selected.map(v => v.version)).toEqual(['1.0.0', '2.0.0']);
    expect(lib.refused?.map(r => [r.version, r.selection.map(s => s.type).sort()])).toEqual([
      ['1.1.0', ['filter', 'required-by']],
      ['1.2.0', ['filter', 'required-by']],
    ]);
    const pairs = asked.map(a => `${a.id}@${a.version}`);
    expect(new Set(pairs).size).toBe(pairs.length);
  });
});
