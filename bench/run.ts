// The benchmark harness: `npm run bench` runs every benchmark end to end,
// `npm run bench -- <name> [<name>...]` some of them. It starts what it needs
// on 127.0.0.1 (verdaccio, s3rver, an upstream file server, Backpack backends
// on the local PostgreSQL and RabbitMQ), and writes bench/results.json and
// the generated bench/RESULTS.md. Options: --repetitions <n> (default 3);
// --from-source runs the plugin from src/ through the TypeScript transform
// instead of the package built into dist/ once per invocation.

import { Benchmark } from './Benchmark';
import { apiLoadBenchmark } from './benchmarks/apiLoad';
import { closureBenchmark } from './benchmarks/closure';
import { largeFilesBenchmark } from './benchmarks/largeFiles';
import { memoryBenchmark } from './benchmarks/memory';
import { noopRerunBenchmark } from './benchmarks/noopRerun';
import { scaleBenchmark } from './benchmarks/scale';
import { scaleOutBenchmark } from './benchmarks/scaleOut';
import { smallFilesBenchmark } from './benchmarks/smallFiles';
import { urlReaderPathBenchmark } from './benchmarks/urlReaderPath';
import { BackendBuild, buildBackend, describeBuild } from './lib/backendBuild';
import { BenchEnvironment } from './lib/BenchEnvironment';
import { machineInfo } from './lib/machine';
import { readResults, renderResults, RESULTS_MD, writeResults } from './lib/results';
import fs from 'node:fs';

/** In the order of the benchmark issue. */
const BENCHMARKS: Benchmark[] = [
  closureBenchmark,
  noopRerunBenchmark,
  smallFilesBenchmark,
  largeFilesBenchmark,
  memoryBenchmark,
  apiLoadBenchmark,
  scaleOutBenchmark,
  scaleBenchmark,
  urlReaderPathBenchmark,
];

function parseArgs(argv: string[]): {
  names: string[];
  repetitions: number;
  sizes?: number[];
  fromSource: boolean;
} {
  const names: string[] = [];
  let repetitions = 3;
  let sizes: number[] | undefined;
  let fromSource = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--from-source') {
      fromSource = true;
    } else if (argv[i] === '--repetitions') {
      repetitions = Number(argv[++i]);
    } else if (argv[i] === '--sizes') {
      sizes = String(argv[++i]).split(',').map(Number);
      if (sizes.length < 2 || !sizes.every(n => Number.isInteger(n) && n >= 10)) {
        throw new Error('--sizes must be at least two comma-separated package counts of 10 or more, e.g. 1000,3000');
      }
    } else if (argv[i] === '--help' || argv[i] === '-h') {
      console.log(
        `Usage: npm run bench [-- <name>...] [--repetitions <n>] [--sizes <n>,<n>...] [--from-source]\nBenchmarks: ${BENCHMARKS.map(b => b.name).join(', ')}`,
      );
      process.exit(0);
    } else {
      names.push(argv[i]);
    }
  }
  if (!Number.isInteger(repetitions) || repetitions < 3) {
    throw new Error('--repetitions must be an integer of at least 3 (every figure is a median of at least 3 runs)');
  }
  for (const name of names) {
    if (!BENCHMARKS.some(b => b.name === name)) {
      throw new Error(`Unknown benchmark '${name}'; known: ${BENCHMARKS.map(b => b.name).join(', ')}`);
    }
  }
  return { names, repetitions, sizes, fromSource };
}

async function main() {
  const { names, repetitions, sizes, fromSource } = parseArgs(process.argv.slice(2));
  const selected = names.length ? BENCHMARKS.filter(b => names.includes(b.name)) : BENCHMARKS;
  const started = Date.now();
  const log = (message: string) =>
    console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);

  let build: BackendBuild = { kind: 'source' };
  if (!fromSource) {
    log('building the package into dist/ (backstage-cli package build)');
    build = await buildBackend();
  }
  log(`backends run ${describeBuild(build)}`);
  log('starting verdaccio (npm corpus), s3rver and the upstream file server');
  const env = await BenchEnvironment.start(build);
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    log('interrupted; cleaning up');
    env.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const results = readResults();
  let failures = 0;
  try {
    for (const benchmark of selected) {
      if (interrupted) break;
      log(`== ${benchmark.name}: ${benchmark.title}`);
      const machine = machineInfo();
      const t0 = Date.now();
      const sizesArg = sizes && benchmark.name === 'scale' ? ` --sizes ${sizes.join(',')}` : '';
      const command = `npm run bench -- ${benchmark.name}${repetitions !== 3 ? ` --repetitions ${repetitions}` : ''}${sizesArg}${fromSource ? ' --from-source' : ''}`;
      // What a benchmark's entry says whether it measured or failed.
      const entry = () => ({
        name: benchmark.name,
        title: benchmark.title,
        command,
        machine,
        backend: describeBuild(build),
        durationSeconds: (Date.now() - t0) / 1000,
      });
      try {
        const result = await benchmark.run({ env, log, repetitions, sizes });
        results[benchmark.name] = { ...entry(), result };
        log(`${benchmark.name}: ${result.figure} (goal ${result.goal})`);
      } catch (error) {
        failures += 1;
        const message = String((error as Error)?.stack ?? error);
        log(`${benchmark.name} failed: ${message}`);
        results[benchmark.name] = { ...entry(), error: message };
      }
      // Written after each benchmark, so a long run keeps what it measured.
      writeResults(results);
      fs.writeFileSync(RESULTS_MD, renderResults(results, BENCHMARKS));
    }
  } finally {
    if (!interrupted) await env.stop();
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; see bench/RESULTS.md`);
  if (failures) process.exitCode = 1;
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
