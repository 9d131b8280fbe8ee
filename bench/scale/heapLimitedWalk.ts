import { BackpackApi, runPhases } from '../lib/BackpackApi';
import { BenchEnvironment } from '../lib/BenchEnvironment';
import { APP_NAME } from './syntheticNpm';

/**
 * The Node setting the README gives for a large first run: an old
 * generation of 256 MB. The walk's live heap at 10,000 packages is about
 * 160 MB, but with Node's defaults V8 lets the heap grow to about four
 * times what is live before a full collection; a limit makes it collect
 * sooner instead.
 */
export const HEAP_LIMIT_FLAGS = ['--max-old-space-size=256'];

/** Walks measured with {@link HEAP_LIMIT_FLAGS}. */
export interface HeapLimitedWalks {
  peakWalkMb: number[];
  walk: number[];
}

/**
 * The first run at one size again, on fresh deployments whose backend runs
 * with {@link HEAP_LIMIT_FLAGS}: the walk's peak RSS and time (the run is
 * waited for until its files are collected, so deployments do not overlap).
 */
export async function heapLimitedWalks(
  env: BenchEnvironment,
  npmRegistry: string,
  repetitions: number,
): Promise<HeapLimitedWalks> {
  const result: HeapLimitedWalks = { peakWalkMb: [], walk: [] };
  for (let i = 0; i < repetitions; i++) {
    const deployment = env.deployment({ npmRegistry });
    try {
      const backend = await deployment.startBackend({ nodeFlags: HEAP_LIMIT_FLAGS });
      const api = new BackpackApi(backend.baseUrl, env.token);
      backend.resetPeakRss();
      const t0 = Date.now();
      const created = await api.createArtifact({ processor: 'npm', id: APP_NAME, filter: '1.0.0' });
      const run = await api.waitForRun(created.runId, t0, {
        timeoutMs: 60 * 60_000,
        onWalkDone: async () => {
          result.peakWalkMb.push(backend.peakRss() / 1e6);
        },
      });
      result.walk.push(runPhases(run).walk);
    } finally {
      await env.disposeDeployment(deployment);
    }
  }
  return result;
}
