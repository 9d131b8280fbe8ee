import { BenchmarkContext } from '../Benchmark';
import { load, LoadResult } from './autocannon';
import { CpuMeter } from './CpuMeter';
import { summarize, Summary } from './stats';

/** The same load on a route that does nothing but check the caller. */
export interface FrameworkFloor {
  p50: Summary;
  p99: Summary;
  rps: Summary;
  /** Backend CPU per request in the last run, ms. */
  backendMs: number;
}

/**
 * Loads `GET /api/backpack/ping` of `bench/servicesBackend.js` (Backstage
 * with the core services Backpack takes, and one route that checks the
 * caller's credentials and answers an empty page) exactly as the API load
 * benchmark loads Backpack's routes: what Backstage's HTTP stack and Node
 * cost per request before any route does work.
 */
export async function frameworkFloor(ctx: BenchmarkContext): Promise<FrameworkFloor> {
  const { env } = ctx;
  const deployment = env.deployment();
  try {
    const backend = await deployment.startBackend({
      script: 'bench/servicesBackend.js',
      transform: env.build.kind === 'source',
    });
    const url = `${backend.baseUrl}/ping`;
    await load(url, env.token, 2); // warm-up
    const runs: LoadResult[] = [];
    let backendMs = 0;
    for (let i = 0; i < ctx.repetitions; i++) {
      const meter = new CpuMeter([{ name: 'backend', pids: () => [backend.pid] }]);
      await meter.begin();
      const { result } = await load(url, env.token);
      const cpu = await meter.end();
      if (result.non2xx || result.errors) {
        throw new Error(`${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
      }
      backendMs = ((cpu.bySubject.find(x => x.name === 'backend')?.cpuSeconds ?? 0) * 1000) / result.total;
      runs.push(result);
      ctx.log(`api-load: framework floor: p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.rps.toFixed(0)} req/s`);
    }
    return {
      p50: summarize(runs.map(r => r.p50)),
      p99: summarize(runs.map(r => r.p99)),
      rps: summarize(runs.map(r => r.rps)),
      backendMs,
    };
  } finally {
    await env.disposeDeployment(deployment);
  }
}
