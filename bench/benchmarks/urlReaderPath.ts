import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BenchFile } from '../benchManifest';
import { Benchmark, BenchmarkContext } from '../Benchmark';
import { BackpackApi } from '../lib/BackpackApi';
import { REPO_ROOT } from '../lib/childProcess';
import { runCommand } from '../lib/commands';
import { cpuOf } from '../lib/copyCosts';
import { collectWithBackpack, CopyRun } from '../lib/copyRunners';
import { generatedSet, setBytes, smallFilesSet } from '../lib/dataSets';
import { Deployment } from '../lib/Deployment';
import { fmt, MB, MiB, ratio, summarize } from '../lib/stats';
import { PARALLELISM } from './collectionThroughput';

/**
 * The last commit before files entered through Backstage's UrlReaderService
 * (the first parent of the merge of that change): Backpack's own fetcher
 * read every file then. Override with BACKPACK_BENCH_BEFORE_REF.
 */
const BEFORE_REF = process.env.BACKPACK_BENCH_BEFORE_REF ?? 'ea6793a^1';

/**
 * The merge of that change, so that "after" differs from "before" by it
 * alone; `BACKPACK_BENCH_AFTER_REF=HEAD` measures this checkout instead.
 */
const AFTER_REF = process.env.BACKPACK_BENCH_AFTER_REF ?? 'ea6793a';

/** Allowed drop of "after" against "before": within the noise of this machine. */
const GOAL = 0.95;

/** A detached worktree of `ref` beside the system's temp files, sharing this checkout's node_modules. */
async function checkoutOf(ref: string): Promise<{ dir: string; commit: string; remove(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backpack-bench-before-'));
  const { stdout } = await runCommand('git', ['rev-parse', '--short', ref], { cwd: REPO_ROOT });
  const commit = stdout.trim();
  await runCommand('git', ['worktree', 'add', '--detach', dir, commit], { cwd: REPO_ROOT });
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  // The harness's bench processor is not what is measured: both sides use this checkout's.
  fs.copyFileSync(
    path.join(REPO_ROOT, 'bench/benchProcessorModule.ts'),
    path.join(dir, 'bench/benchProcessorModule.ts'),
  );
  return {
    dir,
    commit,
    remove: async () => {
      await runCommand('git', ['worktree', 'remove', '--force', dir], { cwd: REPO_ROOT });
    },
  };
}

interface Side {
  name: string;
  deployment: Deployment;
  api: BackpackApi;
  pid: number;
}

async function startSide(ctx: BenchmarkContext, name: string, repoRoot?: string): Promise<Side> {
  const deployment = ctx.env.deployment({ concurrency: PARALLELISM });
  // Both sides from source: the older checkouts are not built, and the
  // ratio compares two commits under the same loader.
  const backend = await deployment.startBackend({ repoRoot, build: { kind: 'source' } });
  return { name, deployment, api: new BackpackApi(backend.baseUrl, ctx.env.token), pid: backend.pid };
}

/**
 * Issue "Fetch through Backstage's UrlReaderService": collection throughput
 * before and after files entered through the UrlReaderService, in one run —
 * the same sets, servers and parallelism, the two backends alternating.
 */
export const urlReaderPathBenchmark: Benchmark = {
  name: 'url-reader',
  title: 'Collection through the UrlReaderService, before and after',
  async run(ctx) {
    const { env } = ctx;
    const sets: Array<{ set: string; files: BenchFile[]; cleanup: boolean }> = [
      { set: 'small', files: await smallFilesSet(env), cleanup: false },
      { set: 'medium', files: generatedSet(env, 'medium', 8, 32 * MiB), cleanup: true },
    ];
    const checkout = await checkoutOf(BEFORE_REF);
    const after = AFTER_REF === 'HEAD' ? undefined : await checkoutOf(AFTER_REF);
    const sides: Side[] = [];
    try {
      sides.push(await startSide(ctx, `before (${checkout.commit})`, checkout.dir));
      sides.push(await startSide(ctx, `after (${after?.commit ?? 'this checkout'})`, after?.dir));
      let seq = 0;
      const collect = (side: Side, set: string, files: BenchFile[], cleanup: boolean) =>
        collectWithBackpack({
          env,
          deployment: side.deployment,
          api: side.api,
          set,
          files,
          id: `${set}-${++seq}`,
          cpuSubjects: [{ name: 'Backpack backend', pids: () => [side.pid] }],
          cleanup,
        });
      for (const side of sides) await collect(side, 'small', sets[0].files, true);

      const rows: string[] = [];
      const ratios: number[] = [];
      for (const { set, files, cleanup } of sets) {
        const runs = new Map<Side, CopyRun[]>(sides.map(s => [s, []]));
        for (let i = 0; i < ctx.repetitions; i++) {
          // Alternate which side goes first, so drift of the machine hits both.
          const order = i % 2 === 0 ? sides : [...sides].reverse();
          for (const side of order) runs.get(side)!.push(await collect(side, set, files, cleanup));
          ctx.log(`url-reader ${set}: ${order.map(s => `${s.name} ${runs.get(s)!.at(-1)!.seconds.toFixed(2)} s`).join(', ')}`);
        }
        const mbps = sides.map(s => summarize(runs.get(s)!.map(r => r.bytes / MB / r.seconds)));
        // CPU per file and per MB depend less on the machine's load than the wall times.
        const cpu = sides.map(s => {
          const sideRuns = runs.get(s)!;
          const perFile = summarize(sideRuns.map(r => (cpuOf(r, 'Backpack backend') * 1000) / r.files)).median;
          const perMb = summarize(sideRuns.map(r => (cpuOf(r, 'Backpack backend') * 1000 * MB) / r.bytes)).median;
          return `${perFile.toFixed(2)} / ${perMb.toFixed(2)}`;
        });
        const q = ratio(mbps[1], mbps[0]);
        ratios.push(q.value);
        rows.push(
          `| ${set}: ${files.length} files, ${(setBytes(files) / MB).toFixed(1)} MB | ${fmt(mbps[0])} | ${fmt(mbps[1])} | ${q.text} | ${cpu[0]} | ${cpu[1]} |`,
        );
      }
      const worst = Math.min(...ratios);
      const met = worst >= GOAL;
      const body = [
        `Two deployments side by side (each its own PostgreSQL database, RabbitMQ queue and s3rver prefix, \`backpack.queue.concurrency: ${PARALLELISM}\`): "before" runs the backend of commit \`${checkout.commit}\` (\`${BEFORE_REF}\`, Backpack's own fetcher reads files) from a temporary worktree, "after" the backend of \`${after?.commit ?? 'this checkout'}\` (\`${AFTER_REF}\`, files read through \`coreServices.urlReader\`, Backpack's gate as the reader of its hosts), also from a temporary worktree unless it is \`HEAD\`, so that the two differ by that change alone. Both collect the same sets from the same upstream file server, alternating, timed as in the throughput sections. Set \`BACKPACK_BENCH_BEFORE_REF\` and \`BACKPACK_BENCH_AFTER_REF\` (\`HEAD\` for this checkout) to compare other commits.`,
        '',
        '| set | before, MB/s | after, MB/s | after / before | before, backend CPU ms per file / per MB | after, backend CPU ms per file / per MB |',
        '|---|---|---|---|---|---|',
        ...rows,
        '',
        `**Worst ratio after / before: ${worst.toFixed(2)}** — goal ≥ ${GOAL} (throughput did not drop beyond this machine's noise): ${met ? 'met' : '**missed**'}.`,
      ];
      return {
        figure: `after/before ${ratios.map(r => r.toFixed(2)).join(' / ')} (${sets.map(s => s.set).join(' / ')})`,
        goal: `≥ ${GOAL}`,
        met,
        body: body.join('\n'),
      };
    } finally {
      for (const side of sides) await env.disposeDeployment(side.deployment);
      await checkout.remove();
      await after?.remove();
    }
  },
};
