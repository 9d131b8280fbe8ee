import { Benchmark, BenchmarkContext, BenchmarkResult } from '../Benchmark';
import { BackendProcess } from '../lib/BackendProcess';
import { BackpackApi } from '../lib/BackpackApi';
import { collectWithBackpack, CopyRun } from '../lib/copyRunners';
import { CpuMeter } from '../lib/CpuMeter';
import { smallFilesSet } from '../lib/dataSets';
import { cpuSection } from '../lib/reporting';
import { fmt, MB, ratio, summarize } from '../lib/stats';
import { PARALLELISM } from './collectionThroughput';

/**
 * 7. Scale-out: the small-files set collected by one backend, then by two
 * backend processes consuming the same RabbitMQ queue (same database,
 * same bucket).
 */
export const scaleOutBenchmark: Benchmark = {
  name: 'scale-out',
  title: 'Scale-out: two backends on one queue',
  async run(ctx: BenchmarkContext): Promise<BenchmarkResult> {
    const { env } = ctx;
    const files = await smallFilesSet(env);
    const deployment = env.deployment({ concurrency: PARALLELISM });
    try {
      const a = await deployment.startBackend();
      const api = new BackpackApi(a.baseUrl, env.token);
      let seq = 0;
      const backends: BackendProcess[] = [a];
      const copy = (sampleDb = false) =>
        collectWithBackpack({
          env,
          deployment,
          api,
          set: 'small',
          files,
          id: `small-${++seq}`,
          cpuSubjects: [
            ...backends.map((b, i) => ({ name: `backend ${i + 1}`, pids: () => [b.pid] })),
            ...env.cpuSubjects(),
            ...CpuMeter.services(deployment.databaseName),
          ],
          sampleDb,
        });
      const measure = async (label: string) => {
        await copy(); // warm-up
        const runs: CopyRun[] = [];
        for (let i = 0; i < ctx.repetitions; i++) {
          runs.push(await copy(i === ctx.repetitions - 1));
          ctx.log(`scale-out: ${label}: ${runs[i].seconds.toFixed(2)} s`);
        }
        return runs;
      };
      const one = await measure('one backend');
      backends.push(await deployment.startBackend());
      const two = await measure('two backends');

      const s1 = summarize(one.map(r => r.files / r.seconds));
      const s2 = summarize(two.map(r => r.files / r.seconds));
      const q = ratio(s2, s1);
      const body: string[] = [
        `The small-files set (${files.length} corpus tarballs, ${(files.reduce((s, f) => s + f.size, 0) / MB).toFixed(1)} MB) collected into the s3rver through one RabbitMQ queue, by one backend, then by two backend processes of the same deployment (same PostgreSQL database, same queue, same bucket; \`backpack.queue.concurrency: ${PARALLELISM}\` each). The run is started on backend 1 (\`POST /api/backpack/artifacts\`); both consume. One untimed warm-up each.`,
        '',
        '| | wall time, s | files/s | MB/s |',
        '|---|---|---|---|',
        `| one backend | ${fmt(summarize(one.map(r => r.seconds)))} | ${fmt(s1, '', 1)} | ${fmt(summarize(one.map(r => r.bytes / MB / r.seconds)))} |`,
        `| two backends | ${fmt(summarize(two.map(r => r.seconds)))} | ${fmt(s2, '', 1)} | ${fmt(summarize(two.map(r => r.bytes / MB / r.seconds)))} |`,
        '',
        `**Ratio two / one (throughput): ${q.text}**.`,
        '',
        ...cpuSection('CPU during the last run with one backend:', one[one.length - 1].cpu),
        '',
        ...cpuSection('CPU during the last run with two backends:', two[two.length - 1].cpu),
        '',
        'What the PostgreSQL sessions were doing during the last run with one backend:',
        '',
        one[one.length - 1].dbActivity?.markdown ?? '',
        '',
        'and with two:',
        '',
        two[two.length - 1].dbActivity?.markdown ?? '',
      ];
      const lockWaits = (run: CopyRun) => run.dbActivity?.average(/Lock:.*mirror_runs/) ?? 0;
      const l1 = lockWaits(one[one.length - 1]);
      const l2 = lockWaits(two[two.length - 1]);
      body.push(
        '',
        `Database: on average ${l2.toFixed(2)} sessions waited on the lock of the run's counter row (\`update mirror_runs set files_collected = …\`, once per collected file) with two backends, against ${l1.toFixed(2)} with one.`,
      );
      let proposal: string | undefined;
      if (q.value < 1.5) {
        proposal = `a second backend ${q.value >= 1 ? 'adds' : 'takes away'} ${Math.abs(Math.round((q.value - 1) * 100))} % throughput here. Two limits show: the 2 cores (one backend already uses ${(one[one.length - 1].cpu.bySubject.find(x => x.name === 'backend 1')?.cores ?? 0).toFixed(2)} of them, with the s3rver, PostgreSQL and the upstream on the same machine), and ${l2 >= 0.2 ? `the run's counter row, which every collected file of every replica updates in its own transaction (${l2.toFixed(2)} sessions waiting on it with two backends)` : 'the per-file cost in the backend'}. Taking the counters out of the per-file transaction (see small files) removes the shared row; replicas on separate machines remove the core limit.`;
      }
      return {
        proposal,
        figure: `two/one ${q.value.toFixed(2)}`,
        goal: 'report the ratio and the bound',
        informational: true,
        body: body.join('\n'),
      };
    } finally {
      await env.disposeDeployment(deployment);
    }
  },
};
