import { BenchFile } from '../benchManifest';
import { BenchmarkContext, BenchmarkResult } from '../Benchmark';
import { BackpackApi } from '../lib/BackpackApi';
import { CpuMeter, otherCores } from '../lib/CpuMeter';
import { CpuProfileSummary } from '../lib/cpuProfile';
import {
  collectWithBackpack,
  copyWithRclone,
  CopyRun,
  describeRclone,
  RCLONE_MISSING,
  rcloneAvailable,
  writeRcloneConfig,
} from '../lib/copyRunners';
import { copyCostTable, cpuOf, pgPerFile } from '../lib/copyCosts';
import { setBytes } from '../lib/dataSets';
import { putStraightIntoS3rver } from '../lib/s3rverAlone';
import { cpuSection, NODE_LIMIT_CORES, pct, profileSection } from '../lib/reporting';
import { fmt, MB, ratio, summarize, Summary } from '../lib/stats';

/** Parallelism of both tools: Backpack's queue concurrency and rclone's --transfers. */
export const PARALLELISM = 8;

function throughput(runs: CopyRun[]): { seconds: Summary; mbps: Summary; filesps: Summary } {
  return {
    seconds: summarize(runs.map(r => r.seconds)),
    mbps: summarize(runs.map(r => r.bytes / MB / r.seconds)),
    filesps: summarize(runs.map(r => r.files / r.seconds)),
  };
}

/**
 * Backpack against rclone copying the same set from the same upstream file
 * server into the same s3rver with the same parallelism, alternating, after
 * one untimed warm-up of each on the small set.
 */
export async function measureThroughput(
  ctx: BenchmarkContext,
  options: {
    label: string;
    set: string;
    files: BenchFile[];
    description: string;
    /** Delete each copy after checking it (large sets). */
    cleanup: boolean;
    warmUp?: { set: string; files: BenchFile[] };
  },
): Promise<BenchmarkResult> {
  const GOAL = 1.0;
  const { env } = ctx;
  const { set, files } = options;
  const deployment = env.deployment({ concurrency: PARALLELISM });
  try {
    const backend = await deployment.startBackend();
    const api = new BackpackApi(backend.baseUrl, env.token);
    const haveRclone = await rcloneAvailable();
    const rcloneConfig = writeRcloneConfig(env);
    const subjects = [
      { name: 'Backpack backend', pids: () => [backend.pid] },
      ...env.cpuSubjects(),
      ...CpuMeter.services(deployment.databaseName),
    ];
    const servers = [...env.cpuSubjects(), ...CpuMeter.services(deployment.databaseName)];
    let seq = 0;
    const backpack = (s: string, f: BenchFile[], cleanup: boolean, sampleDb = false) =>
      collectWithBackpack({
        env,
        deployment,
        api,
        set: s,
        files: f,
        id: `${s}-${++seq}`,
        cpuSubjects: subjects,
        cleanup,
        sampleDb,
      });
    const rclone = (s: string, f: BenchFile[], cleanup: boolean) =>
      copyWithRclone({
        env,
        config: rcloneConfig,
        set: s,
        files: f,
        tag: `${deployment.id}-${++seq}`,
        transfers: PARALLELISM,
        cpuSubjects: servers,
        cleanup,
      });

    const warm = options.warmUp ?? { set, files };
    ctx.log(`${options.label}: warm-up`);
    await backpack(warm.set, warm.files, true);
    if (haveRclone) await rclone(warm.set, warm.files, true);

    const bp: CopyRun[] = [];
    const rc: CopyRun[] = [];
    for (let i = 0; i < ctx.repetitions; i++) {
      const b = await backpack(set, files, options.cleanup, i === ctx.repetitions - 1);
      bp.push(b);
      let line = `${options.label}: Backpack ${b.seconds.toFixed(2)} s`;
      if (haveRclone) {
        const r = await rclone(set, files, options.cleanup);
        rc.push(r);
        line += `, rclone ${r.seconds.toFixed(2)} s`;
      }
      ctx.log(line);
    }
    // The ceiling both tools share: the s3rver taking the set with nothing else running.
    const alone: CopyRun[] = [];
    for (let i = 0; i < ctx.repetitions; i++) {
      alone.push(await putStraightIntoS3rver({ env, set, files, parallelism: PARALLELISM, tag: `${deployment.id}-${++seq}` }));
    }
    const ceiling = throughput(alone);
    ctx.log(`${options.label}: the set put straight into the s3rver, alone: ${ceiling.mbps.median.toFixed(1)} MB/s`);

    const b = throughput(bp);
    const body = [
      options.description,
      '',
      `Set: ${files.length} files, ${(setBytes(files) / MB).toFixed(1)} MB. Parallelism ${PARALLELISM} for both: Backpack \`backpack.queue.concurrency: ${PARALLELISM}\` (RabbitMQ prefetch ${PARALLELISM}), one backend; rclone \`--transfers ${PARALLELISM} --checkers ${PARALLELISM}\`. Backpack is timed from \`POST /api/backpack/artifacts\` (bench processor, a fresh artifact id per repetition so every copy goes to new keys) until \`GET /runs/:id\` shows every file collected; rclone by its process wall time. Every copy is checked afterwards: the object count and total size below its prefix equal the set's.`,
      '',
      'rclone:',
      '',
      describeRclone(set, PARALLELISM),
      '',
      '| | wall time, s | MB/s | files/s |',
      '|---|---|---|---|',
      `| Backpack | ${fmt(b.seconds)} | ${fmt(b.mbps)} | ${fmt(b.filesps, '', 1)} |`,
    ];
    let met: boolean | undefined;
    let figure: string;
    if (haveRclone) {
      const r = throughput(rc);
      const q = ratio(b.mbps, r.mbps);
      met = q.value >= GOAL;
      body.push(
        `| rclone | ${fmt(r.seconds)} | ${fmt(r.mbps)} | ${fmt(r.filesps, '', 1)} |`,
        '',
        `**Ratio Backpack / rclone (throughput): ${q.text}** — goal ≥ ${GOAL}: ${met ? 'met' : '**missed**'}.`,
        '',
        ...cpuSection('CPU during the last rclone copy:', rc[rc.length - 1].cpu),
      );
      figure = `${b.mbps.median.toFixed(1)} vs ${r.mbps.median.toFixed(1)} MB/s, ratio ${q.value.toFixed(2)}`;
    } else {
      body.push('', `**${RCLONE_MISSING}**`);
      figure = `${b.mbps.median.toFixed(1)} MB/s (no rclone baseline)`;
    }
    const last = bp[bp.length - 1];
    const s3Alone = summarize(alone.map(r => cpuOf(r, 's3rver') / r.seconds)).median;
    body.push(
      '',
      `**The s3rver alone:** the same set put straight into it from the file server's directory through Backpack's S3 client (\`S3BlobStore\`, same parts and parallelism; no upstream, digest, database or queue; the bench harness is the client) takes ${fmt(ceiling.seconds)} s, **${fmt(ceiling.mbps)} MB/s**, with the s3rver at ${s3Alone.toFixed(2)} cores. ${
        s3Alone >= 0.85
          ? `The s3rver, one Node process, is then saturated: that is the ceiling for any client on this machine. Backpack reached ${(b.mbps.median / ceiling.mbps.median).toFixed(2)} of it${haveRclone ? `, rclone ${(throughput(rc).mbps.median / ceiling.mbps.median).toFixed(2)}` : ''}.`
          : 'The s3rver was not saturated meanwhile (other work on the machine took the cores), so this run shows no ceiling.'
      }`,
      '',
      'CPU per file and per MB (medians over the timed copies; less dependent on the machine\'s load than the wall times):',
      '',
      copyCostTable(bp, rc, alone),
      ...(last.pg ? ['', pgPerFile(last.pg, last.files)] : []),
      '',
      ...cpuSection(
        `CPU during the last Backpack copy (the walk took ${last.walkSeconds?.toFixed(2)} s of its ${last.seconds.toFixed(2)} s):`,
        last.cpu,
      ),
      '',
      'What the backend\'s PostgreSQL sessions were doing during the last Backpack copy:',
      '',
      last.dbActivity?.markdown ?? '',
    );
    let proposal: string | undefined;
    if (met === false) {
      ctx.log(`${options.label}: goal missed; profiling one more Backpack copy`);
      // One file of the set is enough to see where the time goes.
      const sample = files.length > 16 ? files : files.slice(0, 1);
      env.addSet(`${set}-profile`, sample);
      const profile = await profileSection(backend, async () => {
        await backpack(`${set}-profile`, sample, true);
      });
      body.push(
        '',
        `### Where the time goes (CPU profile of the backend during one more copy${sample.length < files.length ? ' of one of the files' : ''})`,
        '',
        profile.markdown,
      );
      proposal = throughputProposal(last, rc[rc.length - 1], alone[alone.length - 1], profile);
    }
    return { figure, goal: `≥ ${GOAL}`, met, body: body.join('\n'), proposal };
  } finally {
    await env.disposeDeployment(deployment);
  }
}

/** The changes the measurements point at, from the last Backpack copy and its profile. */
function throughputProposal(
  last: CopyRun,
  rclone: CopyRun | undefined,
  alone: CopyRun,
  profile: CpuProfileSummary,
): string {
  const parts: string[] = [];
  if (last.files > 16) {
    const cpuMs = (name: string, run: CopyRun) => (cpuOf(run, name) * 1000) / run.files;
    const sdk = profile.share(/— @(smithy|aws-sdk)\//);
    const db = profile.share(/— (pg|pg-protocol|knex)(:\d+)?$/);
    parts.push(
      `Per file the backend used ${cpuMs('Backpack backend', last).toFixed(1)} ms of CPU${rclone ? ` (rclone ${cpuMs('rclone', rclone).toFixed(1)} ms)` : ''}, PostgreSQL ${cpuMs('PostgreSQL', last).toFixed(1)} ms and RabbitMQ ${cpuMs('RabbitMQ', last).toFixed(1)} ms: ${pct(sdk)} of the backend's in the AWS SDK (one PutObject per file) and ${pct(db)} in the PostgreSQL client (one claim per file, outcomes in group commits; the walk's statements and the run's polls included). The S3 client alone, putting the set straight from disk, costs its process ${cpuMs('bench harness', alone).toFixed(1)} ms per file${rclone ? `, ${cpuMs('bench harness', alone) > cpuMs('rclone', rclone) ? 'more than' : 'against'} rclone's ${cpuMs('rclone', rclone).toFixed(1)} ms for all of its work per file` : ''}. The rest is what rclone does not do: a durable queue delivery and acknowledgement, a database claim and record, and the digest check of every file.`,
    );
  }
  if (last.files > 16 && rclone) {
    // With the cores busy, each tool's files per second is bounded by the
    // cores over the CPU its whole pipeline spends per file.
    const pipelineMs = (run: CopyRun) =>
      (run.cpu.bySubject.filter(x => x.name !== 'bench harness').reduce((sum, x) => sum + x.cpuSeconds, 0) * 1000) /
      run.files;
    const ours = pipelineMs(last);
    const theirs = pipelineMs(rclone);
    parts.push(
      `The bound is the 2 cores: the machine was ${pct(last.cpu.machineBusy)} busy during Backpack's copy and ${pct(rclone.cpu.machineBusy)} during rclone's. Counting every process of each copy (the tool, the s3rver, the upstream, and for Backpack PostgreSQL and RabbitMQ), Backpack's copy costs ${ours.toFixed(1)} ms of CPU per file and rclone's ${theirs.toFixed(1)} ms, so on cores this busy Backpack can reach about ${(theirs / ours).toFixed(2)} of rclone's rate. To pass, the whole pipeline's CPU per file must fall below rclone's: fewer round trips per file (the claim's read carried in the queued job, acknowledgements coalesced, the lease folded into the record) rather than fewer bytes.`,
    );
  }
  const lockWaits = last.dbActivity?.average(/Lock:.*mirror_runs/) ?? 0;
  const walWaits = last.dbActivity?.average(/WAL/) ?? 0;
  if (lockWaits >= 0.1) {
    parts.push(
      `The collect workers queue on one row: every collected file commits its own transaction that also increments the run's counters (\`update mirror_runs set files_collected = files_collected + 1 …\`), so on average ${lockWaits.toFixed(2)} database sessions waited on that row's lock and ${walWaits.toFixed(2)} on a WAL flush during the copy. Keep the run counters out of the per-file transaction — count a run's collected files and bytes from \`artifact_files\` by \`run_id\` when asked, or add them up in batches — so files commit independently.`,
    );
  }
  const sdkHash = profile.share(/^update — \(native\), called from .* — @smithy\/core$/);
  if (sdkHash >= 0.05) {
    parts.push(
      `The backend hashes every byte twice: the integrity check (${pct(profile.share(/IntegrityStream/))} of its CPU) and again in the AWS SDK (${pct(sdkHash)}: the SigV4 signer hashes every part buffer for \`x-amz-content-sha256\`); signing part uploads with \`UNSIGNED-PAYLOAD\` on HTTPS endpoints would drop the second pass, since the bytes were verified against the upstream digest already.`,
    );
  }
  const gc = profile.share(/garbage collector/);
  if (gc >= 0.1) {
    parts.push(`The garbage collector took ${pct(gc)} of the backend's CPU.`);
  }
  const s3 = last.cpu.bySubject.find(x => x.name === 's3rver');
  if (s3 && s3.cores > NODE_LIMIT_CORES) {
    parts.push(`The s3rver, one Node process, used ${s3.cores.toFixed(2)} cores, so it limits both tools on this machine.`);
  }
  const others = otherCores(last.cpu);
  if (others > 0.5) {
    parts.push(`Other work on the machine took ${others.toFixed(2)} of the 2 cores during the copy, which blurs this ratio.`);
  }
  return parts.join(' ') || 'see the CPU tables and the profile of this section.';
}
