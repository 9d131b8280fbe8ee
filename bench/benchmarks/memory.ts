import { Benchmark, BenchmarkContext, BenchmarkResult } from '../Benchmark';
import { BackpackApi } from '../lib/BackpackApi';
import { collectWithBackpack } from '../lib/copyRunners';
import { generatedSet } from '../lib/dataSets';
import { currentRss } from '../lib/procfs';
import { fmt, MB, MiB, summarize } from '../lib/stats';

const GOAL_BYTES = 250 * MB;
/**
 * "Independent of the file size": the peak at 1 GiB within this of the peak
 * at 256 MiB. Both files are far larger than what the multipart upload
 * buffers, so memory that grew with the file would show as a difference of
 * a good part of the extra 768 MiB.
 */
const INDEPENDENCE_BYTES = 25 * MB;
const SIZES = [64 * MiB, 256 * MiB, 1024 * MiB];

const mb = (bytes: number) => bytes / MB;

/**
 * 5. Memory: peak RSS of the backend process while it collects one file of
 * 64 MiB, 256 MiB and 1 GiB. A fresh backend per size; its peak RSS (VmHWM)
 * is reset before each repetition (clear_refs), and VmRSS is also polled
 * every 20 ms in case the kernel refuses the reset.
 */
export const memoryBenchmark: Benchmark = {
  name: 'memory',
  title: 'Memory while collecting one large file',
  async run(ctx: BenchmarkContext): Promise<BenchmarkResult> {
    const { env } = ctx;
    const rows: Array<{ size: number; idle: number[]; peak: number[]; seconds: number[] }> = [];
    let resetWorks = true;
    // What Node and the framework take before Backpack adds anything.
    const bare = { plain: [] as number[], transform: [] as number[] };
    const idleBackpack: number[] = [];
    ctx.log('memory: idle RSS of a backend without plugins');
    for (let i = 0; i < ctx.repetitions; i++) {
      for (const transform of [false, true]) {
        const deployment = env.deployment();
        try {
          const backend = await deployment.startBackend({ script: 'bench/bareBackend.js', transform });
          await new Promise(r => setTimeout(r, 1000));
          (transform ? bare.transform : bare.plain).push(currentRss(backend.pid));
        } finally {
          await env.disposeDeployment(deployment);
        }
      }
    }
    const warmUpSet = `mem-${SIZES[0] / MiB}mib`;
    const warmUpFiles = generatedSet(env, warmUpSet, 1, SIZES[0]);
    for (const size of SIZES) {
      const set = `mem-${size / MiB}mib`;
      ctx.log(`memory: generating ${size / MiB} MiB`);
      const files = generatedSet(env, set, 1, size);
      const deployment = env.deployment();
      const row = { size, idle: [] as number[], peak: [] as number[], seconds: [] as number[] };
      try {
        const backend = await deployment.startBackend();
        const api = new BackpackApi(backend.baseUrl, env.token);
        await new Promise(r => setTimeout(r, 1000));
        idleBackpack.push(currentRss(backend.pid));
        for (let i = 0; i <= ctx.repetitions; i++) {
          // Let start-up or the previous repetition settle.
          await new Promise(r => setTimeout(r, 500));
          resetWorks = backend.resetPeakRss() && resetWorks;
          const idle = currentRss(backend.pid);
          let polled = idle;
          const poll = setInterval(() => {
            polled = Math.max(polled, currentRss(backend.pid));
          }, 20);
          let run;
          try {
            // The first pass, with the smallest file, warms up the code paths
            // and is not counted.
            run = await collectWithBackpack({
              env,
              deployment,
              api,
              set: i === 0 ? warmUpSet : set,
              files: i === 0 ? warmUpFiles : files,
              id: `${set}-${i}`,
              cpuSubjects: [],
              cleanup: true,
            });
          } finally {
            clearInterval(poll);
          }
          const peak = resetWorks ? Math.max(backend.peakRss(), polled) : polled;
          if (i === 0) continue;
          row.idle.push(idle);
          row.peak.push(peak);
          row.seconds.push(run.seconds);
          ctx.log(`memory: ${size / MiB} MiB: RSS ${mb(idle).toFixed(0)} MB before, peak ${mb(peak).toFixed(0)} MB, ${run.seconds.toFixed(1)} s`);
        }
      } finally {
        await env.disposeDeployment(deployment);
      }
      rows.push(row);
    }
    const peaks = rows.map(r => summarize(r.peak.map(mb)));
    const maxPeak = Math.max(...peaks.map(p => p.median));
    const spread = peaks[peaks.length - 1].median - peaks[peaks.length - 2].median;
    const fromSmallest = peaks[peaks.length - 1].median - peaks[0].median;
    const under = maxPeak * MB < GOAL_BYTES;
    const independent = spread * MB <= INDEPENDENCE_BYTES;
    const body = [
      `One backend (PostgreSQL, RabbitMQ driver, s3rver) per file size; it collects one generated file from the plain upstream HTTP server: one uncounted pass with the 64 MiB file first, then the measured repetitions. Peak RSS is the backend process's \`VmHWM\` from \`/proc/<pid>/status\`, reset before each repetition by writing \`5\` to \`/proc/<pid>/clear_refs\`, and cross-checked by polling \`VmRSS\` every 20 ms.${resetWorks ? '' : ' **The kernel refused the reset; the figures are the polled maximum of VmRSS.**'}`,
      '',
      '| file size | RSS before, MB | peak RSS, MB | peak − before, MB | collect time, s |',
      '|---|---|---|---|---|',
      ...rows.map(
        (r, i) =>
          `| ${r.size / MiB} MiB | ${fmt(summarize(r.idle.map(mb)), '', 0)} | ${fmt(peaks[i], '', 0)} | ${fmt(summarize(r.peak.map((p, j) => mb(p - r.idle[j]))), '', 0)} | ${fmt(summarize(r.seconds))} |`,
      ),
      '',
      `**Peak RSS at 1 GiB: ${peaks[peaks.length - 1].median.toFixed(0)} MB** — goal under ${mb(GOAL_BYTES)} MB: ${under ? 'met' : '**missed**'}. ` +
        `Independent of the file size (median peak at 1 GiB within ${mb(INDEPENDENCE_BYTES)} MB of the one at 256 MiB, i.e. with 768 MiB more data): ${spread.toFixed(0)} MB apart — ${independent ? 'met' : '**missed**'}; ${fromSmallest.toFixed(0)} MB between 64 MiB and 1 GiB.`,
      '',
      'Where the resident memory is before any collection (each a fresh process, 1 s after it reported ready):',
      '',
      '| process | idle RSS, MB |',
      '|---|---|',
      `| Backstage backend without plugins, plain JavaScript (\`node bench/bareBackend.js\`) | ${fmt(summarize(bare.plain.map(mb)), '', 0)} |`,
      `| the same with the TypeScript transform loaded (\`node --require @backstage/cli/config/nodeTransform.cjs bench/bareBackend.js\`) | ${fmt(summarize(bare.transform.map(mb)), '', 0)} |`,
      `| Backpack backend (\`bench/backend.ts\`, TypeScript compiled by SWC at load time) | ${fmt(summarize(idleBackpack.map(mb)), '', 0)} |`,
      '',
      'The benchmark backend runs the plugin from source through `@backstage/cli/config/nodeTransform.cjs`, as `npm start` does; a production backend runs built JavaScript and does not carry the transform.',
    ];
    const met = under && independent;
    const idle = summarize(idleBackpack.map(mb)).median;
    const bareIdle = summarize(bare.plain.map(mb)).median;
    const added = summarize(rows[rows.length - 1].peak.map((p, j) => mb(p - rows[rows.length - 1].idle[j]))).median;
    let proposal: string | undefined;
    if (!under) {
      proposal =
        `collecting a 1 GiB file adds about ${added.toFixed(0)} MB to the backend; the rest is the process before any collection (${idle.toFixed(0)} MB idle, of which a Backstage backend without plugins takes ${bareIdle.toFixed(0)} MB). ` +
        'Measure a built backend (no SWC transform) and, if it is still above the goal, lower the S3 multipart buffering (part size × queue size per upload, times the collect concurrency) and cap the V8 heap of collector replicas (`--max-old-space-size`).';
    } else if (!independent) {
      proposal = 'memory grows with the file size; look for buffering between the download and the multipart upload.';
    }
    return {
      figure: `peak ${peaks.map(p => p.median.toFixed(0)).join(' / ')} MB at 64 MiB / 256 MiB / 1 GiB`,
      goal: `< ${mb(GOAL_BYTES)} MB, size-independent`,
      met,
      body: body.join('\n'),
      proposal,
    };
  },
};
