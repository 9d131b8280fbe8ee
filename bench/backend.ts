// The backend the benchmarks measure: Backpack as a platform team installs
// it, plus the bench processor module. Started by lib/BackendProcess.ts with
// a generated app-config:
//
//   node --require @backstage/cli/config/nodeTransform.cjs bench/backend.ts --config <app-config.yaml>
//
// SIGUSR2 starts a V8 CPU profile and the next SIGUSR2 writes it into
// $BACKPACK_BENCH_PROFILE_DIR, so the harness can profile one measurement
// without start-up work in it. With $BACKPACK_BENCH_MEMORY_LOG, a line of
// process.memoryUsage() every 100 ms goes there (lib/memorySamples.ts), so
// the harness can say what the resident memory was made of at its peak.

import { createBackend } from '@backstage/backend-defaults';
import fs from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import { benchProcessorModule } from './benchProcessorModule';

const profileDir = process.env.BACKPACK_BENCH_PROFILE_DIR;
if (profileDir) {
  const session = new Session();
  session.connect();
  let profiling = false;
  let count = 0;
  process.on('SIGUSR2', () => {
    if (!profiling) {
      profiling = true;
      session.post('Profiler.enable', () => session.post('Profiler.start'));
      return;
    }
    profiling = false;
    session.post('Profiler.stop', (error, result) => {
      const file = path.join(profileDir, `profile-${++count}.cpuprofile`);
      // Written under a temporary name first: the harness waits for the final one.
      fs.writeFileSync(`${file}.tmp`, error ? '{}' : JSON.stringify(result.profile));
      fs.renameSync(`${file}.tmp`, file);
    });
  });
}

const memoryLog = process.env.BACKPACK_BENCH_MEMORY_LOG;
if (memoryLog) {
  setInterval(() => {
    const m = process.memoryUsage();
    fs.appendFileSync(
      memoryLog,
      `${Date.now()} ${m.rss} ${m.heapTotal} ${m.heapUsed} ${m.external} ${m.arrayBuffers}\n`,
    );
  }, 100).unref();
}

const backend = createBackend();
backend.add(import('../src'));
backend.add(benchProcessorModule);
backend.start();
