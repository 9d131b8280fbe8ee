import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { createNpmProcessor } from '../../processors/npm/NpmProcessor';
import { ProcessorRegistry } from '../../processors/ProcessorRegistry';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import {
  ClosureArtifact,
  ClosureDiscoverFn,
  ClosureFilterCompiler,
  ClosureResolver,
  ClosureResult,
  ClosureRoot,
} from '../ClosureResolver';

// What the ClosureResolver suites share: the resolver over the real npm
// processor against a test registry, and readers of its result.

const logger = mockServices.logger.mock();

// The real filter module compiles with RE2; a plain RegExp is enough here.
const compileFilter: ClosureFilterCompiler = (filter, filterType, scheme) => {
  if (filterType === 'regex') {
    const regex = new RegExp(filter!);
    return version => regex.test(version);
  }
  return version => scheme.satisfies(version, filter!);
};

/** A resolver over npm at `registryUrl`, recording the ids it discovers. */
export function createTestResolver(registryUrl: string) {
  const processors = new ProcessorRegistry();
  processors.add(
    createNpmProcessor({
      config: new ConfigReader({ registry: registryUrl }),
      upstream: new UpstreamClient({ retries: 0 }),
    }),
  );
  /** Ids in the order they were discovered. */
  const calls: string[] = [];
  /** Ids whose discovery throws, as when their upstream broke. */
  const failing = new Set<string>();
  const discover: ClosureDiscoverFn = async (processor, id, config, { signal }) => {
    calls.push(id);
    if (failing.has(id)) throw new Error(`upstream broke for ${id}`);
    const result = await processors.get(processor).discover({ id, config }, { logger, signal });
    if (result.notModified) throw new Error('no validators were given');
    return result;
  };
  const resolver = new ClosureResolver({ processors, discover, compileFilter });
  return { processors, calls, failing, resolver };
}

/** `id@version` of every selected version, sorted. */
export function pairs(result: ClosureResult): string[] {
  return result.artifacts
    .flatMap(a => a.selected.map(v => `${a.id}@${v.version}`))
    .sort();
}

export function artifact(result: ClosureResult, id: string): ClosureArtifact {
  const found = result.artifacts.find(a => a.id === id);
  if (!found) throw new Error(`artifact ${id} not reached`);
  return found;
}

export function selected(result: ClosureResult, id: string): string[] {
  return artifact(result, id).selected.map(v => v.version);
}

/** The edges from `id@version` to `dep`. */
export function dependency(result: ClosureResult, id: string, version: string, dep: string) {
  const v = artifact(result, id).selected.find(s => s.version === version);
  return v?.dependencies.filter(d => d.id === dep);
}

/** An npm root with the `latest` policy unless `extra` says otherwise. */
export const root = (id: string, filter: string, extra: Partial<ClosureRoot> = {}): ClosureRoot => ({
  processor: 'npm',
  id,
  filter,
  dependencyPolicy: 'latest',
  ...extra,
});
