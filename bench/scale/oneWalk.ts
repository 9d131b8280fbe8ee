// One first run's walk at one size, for memory work: the backend's peak RSS
// over the walk (VmHWM, reset before the run) and its memory log's sample at
// that peak, far quicker than `npm run bench -- scale`. Not one of the
// benchmarks; run it under the bench lock like them:
//
//   node --require @backstage/cli/config/nodeTransform.cjs bench/scale/oneWalk.ts 10000 [node flags...]
//
// It runs the built package in dist/ as it is; BENCH_BUILD=1 builds it first,
// and BENCH_MEMORY_LOG=<file> keeps the backend's memory log (one line of
// process.memoryUsage() every 100 ms, see ../backend.ts) there.

import fs from 'node:fs';
import path from 'node:path';
import { BackpackApi } from '../lib/BackpackApi';
import { BackendBuild, buildBackend } from '../lib/backendBuild';
import { BenchEnvironment } from '../lib/BenchEnvironment';
import { REPO_ROOT } from '../lib/childProcess';
import { atPeak } from '../lib/memorySamples';
import { serveSyntheticNpm } from './servedRegistry';
import { APP_NAME } from './syntheticNpm';

const mb = (bytes = 0) => (bytes / 1e6).toFixed(0);

async function main() {
  const size = Number(process.argv[2] ?? 10000);
  const nodeFlags = process.argv.slice(3);
  const build: BackendBuild = process.env.BENCH_BUILD
    ? await buildBackend()
    : { kind: 'dist', entry: path.join(REPO_ROOT, 'dist', 'bench', 'backend.js') };
  const env = await BenchEnvironment.start(build);
  const served = await serveSyntheticNpm(env, size);
  try {
    const deployment = env.deployment({ npmRegistry: served.baseUrl });
    try {
      const backend = await deployment.startBackend({ nodeFlags, memoryLog: true });
      const api = new BackpackApi(backend.baseUrl, env.token);
      backend.resetPeakRss();
      const t0 = Date.now();
      const created = await api.createArtifact({ processor: 'npm', id: APP_NAME, filter: '1.0.0' });
      let peak = 0;
      let walkDone = 0;
      await api.waitForRun(created.runId, t0, {
        timeoutMs: 60 * 60_000,
        onWalkDone: async () => {
          peak = backend.peakRss();
          walkDone = Date.now();
        },
      });
      const run = await api.getRun(created.runId);
      const samples = backend.memorySamples(t0, walkDone);
      const atRss = atPeak(samples);
      const heapUsed = Math.max(...samples.map(s => s.heapUsed));
      console.log(
        `${size} packages${nodeFlags.length ? ` with ${nodeFlags.join(' ')}` : ''}: ` +
          `walk ${((walkDone - Date.parse(run.startedAt ?? run.createdAt)) / 1000).toFixed(1)} s, ` +
          `${run.counters.artifacts} artifacts, ${run.counters.versionsSelected} versions selected; ` +
          `peak RSS over the walk ${mb(peak)} MB; at the highest sample RSS ${mb(atRss?.rss)}, ` +
          `heap total ${mb(atRss?.heapTotal)}, heap used ${mb(atRss?.heapUsed)} MB; highest heap used ${mb(heapUsed)} MB`,
      );
      if (process.env.BENCH_MEMORY_LOG) {
        fs.copyFileSync(path.join(backend.options.profileDir, 'memory.log'), process.env.BENCH_MEMORY_LOG);
      }
    } finally {
      await env.disposeDeployment(deployment);
    }
  } finally {
    await served.stop();
    await env.stop();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
