import fs from 'node:fs';
import path from 'node:path';
import { Benchmark, BenchmarkContext, BenchmarkResult } from '../Benchmark';
import { BackpackApi, runPhases } from '../lib/BackpackApi';
import { conditionalRequestFloor, NOOP_REQUESTS_IN_FLIGHT } from '../lib/conditionalFloor';
import { scaleMissedGoals } from '../scale/missedGoals';
import { CpuMeter } from '../lib/CpuMeter';
import { CpuProfileSummary } from '../lib/cpuProfile';
import { explainNoopPath } from '../lib/explainNoop';
import {
  pgCounters,
  pgDelta,
  PHASE_STATS_SETTLE_MS,
  settleStats,
  TableScans,
  tableScans,
  tableScansDelta,
  tableScansTable,
} from '../lib/pgStats';
import { profileSection } from '../lib/reporting';
import { fmt, summarize, Summary } from '../lib/stats';
import { timePerPackagePlot } from '../scale/plot';
import { serveSyntheticNpm } from '../scale/servedRegistry';
import { APP_NAME, SyntheticNpm } from '../scale/syntheticNpm';
import { HEAP_LIMIT_FLAGS, HeapLimitedWalks, heapLimitedWalks } from '../scale/heapLimitedWalk';

const DEFAULT_SIZES = [1000, 3000, 10000];
/** Time per package at the largest size within this of the smallest's: linear. */
const LINEAR_GOAL = 1.3;
const NOOP_GOAL = 0.05;
const WALK_RSS_GOAL_MB = 400;
export const SCALE_PLOT = path.resolve(__dirname, '../scale-time-per-package.svg');

interface SizeRow {
  size: number;
  registry: SyntheticNpm;
  walk: number[];
  collect: number[];
  first: number[];
  noop: number[];
  firstRows: number[];
  walkRows: number[];
  noopRows: number[];
  peakFirstMb: number[];
  peakWalkMb: number[];
  peakNoopMb: number[];
  files: number;
  versions: number;
  artifacts: number;
  scansFirst: TableScans[];
  scansNoop: TableScans[];
  /** Backend and PostgreSQL CPU seconds, and transactions, of each no-op run. */
  noopBackendCpu: number[];
  noopPostgresCpu: number[];
  noopTransactions: number[];
  /** The registry alone answering the no-op run's conditional requests, s. */
  floor: number[];
  floorNotModified: number;
  profile?: CpuProfileSummary;
  explained?: Awaited<ReturnType<typeof explainNoopPath>>;
  /** The largest size's walk again, with the README's heap limit. */
  heapLimited?: HeapLimitedWalks;
}

/** The size whose no-op run is profiled: the largest up to 3,000 packages (a profile of a run of seconds, not minutes). */
const profiledSize = (sizes: number[]) => sizes.filter(n => n <= 3000).pop() ?? sizes[0];
const rowsRead = (scans: TableScans[]) => scans.reduce((n, t) => n + t.seqRowsRead + t.indexRowsFetched, 0);
const mb = (bytes: number) => bytes / 1e6;
const perPackageMs = (s: Summary, size: number) => (s.median * 1000) / size;

/**
 * Scale: a synthetic npm registry of each size (see ../scale/syntheticNpm.ts)
 * served by a static server with ETags, mirrored from one root (an
 * application depending on the registry's top packages) whose closure
 * covers it, on PostgreSQL and RabbitMQ. Per size and repetition a fresh
 * deployment: the first run (walk, then collection), then a full no-op run.
 */
export const scaleBenchmark: Benchmark = {
  name: 'scale',
  title: 'Scale: time per package from 1,000 to 10,000 packages',
  async run(ctx: BenchmarkContext): Promise<BenchmarkResult> {
    const { env } = ctx;
    const sizes = [...(ctx.sizes ?? DEFAULT_SIZES)].sort((a, b) => a - b);
    const rows: SizeRow[] = [];
    for (const size of sizes) {
      const { baseUrl, registry, stop } = await serveSyntheticNpm(env, size);
      try {
        ctx.log(
          `scale: ${size} packages, ${registry.versions} versions, ${registry.dependencies} dependency declarations`,
        );
        const row: SizeRow = {
          size,
          registry,
          walk: [],
          collect: [],
          first: [],
          noop: [],
          firstRows: [],
          walkRows: [],
          noopRows: [],
          peakFirstMb: [],
          peakWalkMb: [],
          peakNoopMb: [],
          files: 0,
          versions: 0,
          artifacts: 0,
          scansFirst: [],
          scansNoop: [],
          noopBackendCpu: [],
          noopPostgresCpu: [],
          noopTransactions: [],
          floor: [],
          floorNotModified: 0,
        };
        for (let i = 0; i < ctx.repetitions; i++) {
          const deployment = env.deployment({ npmRegistry: baseUrl });
          try {
            const backend = await deployment.startBackend();
            const api = new BackpackApi(backend.baseUrl, env.token);
            await settleStats();
            const s0 = await tableScans(deployment.db());
            backend.resetPeakRss();
            const t0 = Date.now();
            const created = await api.createArtifact({ processor: 'npm', id: APP_NAME, filter: '1.0.0' });
            let sWalk: TableScans[] = [];
            const first = await api.waitForRun(created.runId, t0, {
              timeoutMs: 60 * 60_000,
              // Not settled: the walk's last statements may be counted with the collection.
              onWalkDone: async () => {
                row.peakWalkMb.push(mb(backend.peakRss()));
                sWalk = await tableScans(deployment.db());
              },
            });
            row.peakFirstMb.push(mb(backend.peakRss()));
            const a = runPhases(first);
            // The statistics autovacuum gathers between scheduled runs (the
            // walk refreshes them itself, but collection writes after it).
            await deployment.db().raw('ANALYZE');
            await settleStats(PHASE_STATS_SETTLE_MS);
            const s1 = await tableScans(deployment.db());
            const c1 = await pgCounters(deployment.databaseName);
            const meter = new CpuMeter([
              { name: 'backend', pids: () => [backend.pid] },
              ...CpuMeter.services(deployment.databaseName),
            ]);
            backend.resetPeakRss();
            await meter.begin();
            const t1 = Date.now();
            const rerun = await api.startRun();
            const second = await api.waitForRun(rerun.id, t1, { timeoutMs: 60 * 60_000 });
            const cpu = await meter.end();
            row.peakNoopMb.push(mb(backend.peakRss()));
            const b = runPhases(second);
            await settleStats(PHASE_STATS_SETTLE_MS);
            const s2 = await tableScans(deployment.db());
            row.noopTransactions.push(pgDelta(c1, await pgCounters(deployment.databaseName)).transactions);
            const cpuOf = (name: string) => cpu.bySubject.find(x => x.name === name)?.cpuSeconds ?? 0;
            row.noopBackendCpu.push(cpuOf('backend'));
            row.noopPostgresCpu.push(cpuOf('PostgreSQL'));
            row.walk.push(a.walk);
            row.collect.push(a.collectionAfterWalk);
            row.first.push(a.total);
            row.noop.push(b.total);
            row.firstRows.push(rowsRead(tableScansDelta(s0, s1)));
            row.walkRows.push(rowsRead(tableScansDelta(s0, sWalk)));
            row.noopRows.push(rowsRead(tableScansDelta(s1, s2)));
            row.scansFirst = tableScansDelta(s0, s1);
            row.scansNoop = tableScansDelta(s1, s2);
            // Every size's busiest tables in the log (the report shows the largest size's only).
            const busiest = [...row.scansNoop]
              .sort((x, y) => y.seqRowsRead + y.indexRowsFetched - (x.seqRowsRead + x.indexRowsFetched))
              .slice(0, 4)
              .map(t => `${t.table} ${t.seqScans} seq (${t.seqRowsRead} rows), ${t.indexScans} idx (${t.indexRowsFetched} rows)`);
            ctx.log(`scale: ${size}: no-op run's reads by table: ${busiest.join('; ')}`);
            row.artifacts = first.run.counters.artifacts;
            row.versions = first.run.counters.versionsSelected;
            row.files = first.run.counters.filesCollected;
            if (second.run.counters.filesQueued !== 0) {
              throw new Error(`the no-op run queued ${second.run.counters.filesQueued} files`);
            }
            ctx.log(
              `scale: ${size}: first ${a.total.toFixed(1)} s (walk ${a.walk.toFixed(1)} s), no-op ${b.total.toFixed(2)} s, ` +
                `${row.artifacts} artifacts, ${row.files} files, peak RSS ${row.peakFirstMb.at(-1)!.toFixed(0)} MB ` +
                `(walk ${row.peakWalkMb.at(-1)!.toFixed(0)} MB), ` +
                `rows read: first run ${row.firstRows.at(-1)} (walk ${row.walkRows.at(-1)}), no-op ${row.noopRows.at(-1)}`,
            );
            if (i === ctx.repetitions - 1) {
              // The bound of a no-op run: the registry answering the same
              // conditional requests alone, as many in flight as the run has.
              const packages = (await deployment.db()('artifacts').select('id')).map((r: { id: string }) => r.id);
              const floor = await conditionalRequestFloor(baseUrl, packages, NOOP_REQUESTS_IN_FLIGHT);
              row.floor = floor.seconds;
              row.floorNotModified = floor.notModified;
              if (size === sizes[sizes.length - 1]) row.explained = await explainNoopPath(deployment.db());
              if (size === profiledSize(sizes)) {
                row.profile = await profileSection(backend, async () => {
                  const t = Date.now();
                  const r = await api.startRun();
                  await api.waitForRun(r.id, t, { timeoutMs: 60 * 60_000 });
                });
              }
            }
          } finally {
            await env.disposeDeployment(deployment);
          }
        }
        if (size === sizes[sizes.length - 1]) {
          row.heapLimited = await heapLimitedWalks(env, baseUrl, ctx.repetitions);
          ctx.log(
            `scale: ${size} with ${HEAP_LIMIT_FLAGS.join(' ')}: walk peak RSS ${row.heapLimited.peakWalkMb.map(v => v.toFixed(0)).join(', ')} MB`,
          );
        }
        rows.push(row);
      } finally {
        await stop();
      }
    }
    return report(rows, ctx.sizes ? sizes : undefined);
  },
};

function report(rows: SizeRow[], customSizes?: number[]): BenchmarkResult {
  const s = (values: number[]) => summarize(values);
  const smallest = rows[0];
  const profiled = rows.find(r => r.profile);
  const largest = rows[rows.length - 1];
  const growth = (pick: (r: SizeRow) => number[]) =>
    perPackageMs(s(pick(largest)), largest.size) / perPackageMs(s(pick(smallest)), smallest.size);
  const firstGrowth = growth(r => r.first);
  const noopGrowth = growth(r => r.noop);
  const noopRatios = rows.map(r => s(r.noop).median / s(r.first).median);
  const walkPeak = Math.max(...rows.map(r => s(r.peakWalkMb).median));
  const met =
    firstGrowth <= LINEAR_GOAL &&
    noopGrowth <= LINEAR_GOAL &&
    noopRatios.every(r => r <= NOOP_GOAL) &&
    s(largest.peakWalkMb).median < WALK_RSS_GOAL_MB;

  fs.writeFileSync(
    SCALE_PLOT,
    timePerPackagePlot('Backpack: time per package against registry size', [
      { name: 'first run, total', color: '#1f77b4', points: rows.map(r => [r.size, perPackageMs(s(r.first), r.size)]) },
      { name: 'first run, walk', color: '#2ca02c', points: rows.map(r => [r.size, perPackageMs(s(r.walk), r.size)]) },
      { name: 'collection', color: '#ff7f0e', points: rows.map(r => [r.size, perPackageMs(s(r.collect), r.size)]) },
      { name: 'no-op re-run', color: '#d62728', points: rows.map(r => [r.size, perPackageMs(s(r.noop), r.size)]) },
    ]),
  );

  const body = [
    'A synthetic npm registry per size, generated by the bench (`bench/scale/syntheticNpm.ts`, deterministic): packages `scale-pkg-NNNNN` with 1–3 majors × 1–3 minors each, every version with a generated 1–4 KiB tarball and its sha512; package *i* depends on packages of higher index (a DAG, as a registry\'s layers), about 3 of them on average, with `^M.0.0` (70 %), `~M.m.0` (15 %) and `>=M.0.0 <M+1.0.0` (15 %) ranges over the target\'s majors, and every package has a parent that all of that parent\'s versions depend on, so the closure of the top packages covers the registry. The registry is served by a static server (`bench/servers/npmStaticRegistry.ts`) that answers `If-None-Match` with 304, as registries do. The root is `scale-app@1.0.0`, an application depending on the top packages; it is mirrored with `POST /api/backpack/artifacts` (`{"processor":"npm","id":"scale-app","filter":"1.0.0"}`), timed until every file is collected; then `ANALYZE`, as autovacuum does between scheduled runs (otherwise whether it got to the new rows first decides the no-op run\'s plans), and a full no-op run (`POST /runs`) with nothing changed upstream. Each repetition on a fresh deployment (empty PostgreSQL database, own RabbitMQ queue and S3 prefix), one backend, collection concurrency 8.',
    '',
    `Declared dependencies per version: ${rows.map(r => `${(r.registry.dependencies / r.registry.versions).toFixed(2)} at ${r.size.toLocaleString('en')}`).join(', ')}.`,
    '',
    customSizes ? `Sizes run: ${customSizes.join(', ')} (given with \`--sizes\`).` : `Sizes run: ${rows.map(r => r.size).join(', ')}.`,
    '',
    '| packages | versions in registry | artifacts / versions selected / files | first run, s | walk, s | collection, s | no-op run, s | no-op / first | rows read, first run (walk) | rows read, no-op | peak RSS walk, MB | peak RSS first run, MB | peak RSS no-op, MB |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      r =>
        `| ${r.size.toLocaleString('en')} | ${r.registry.versions.toLocaleString('en')} | ${r.artifacts} / ${r.versions} / ${r.files} | ${fmt(s(r.first))} | ${fmt(s(r.walk))} | ${fmt(s(r.collect))} | ${fmt(s(r.noop))} | ${(s(r.noop).median / s(r.first).median).toFixed(3)} | ${Math.round(s(r.firstRows).median).toLocaleString('en')} (${Math.round(s(r.walkRows).median).toLocaleString('en')}) | ${Math.round(s(r.noopRows).median).toLocaleString('en')} | ${fmt(s(r.peakWalkMb), '', 0)} | ${fmt(s(r.peakFirstMb), '', 0)} | ${fmt(s(r.peakNoopMb), '', 0)} |`,
    ),
    '',
    'Time per package (median / packages), ms:',
    '',
    '| packages | first run | walk | collection | no-op run |',
    '|---|---|---|---|---|',
    ...rows.map(
      r =>
        `| ${r.size.toLocaleString('en')} | ${perPackageMs(s(r.first), r.size).toFixed(2)} | ${perPackageMs(s(r.walk), r.size).toFixed(2)} | ${perPackageMs(s(r.collect), r.size).toFixed(2)} | ${perPackageMs(s(r.noop), r.size).toFixed(2)} |`,
    ),
    '',
    `![Time per package against size](scale-time-per-package.svg) ([SVG](scale-time-per-package.svg), generated by the bench)`,
    '',
    `- Linear: time per package at ${largest.size.toLocaleString('en')} / at ${smallest.size.toLocaleString('en')}: first run **${firstGrowth.toFixed(2)}**, no-op run **${noopGrowth.toFixed(2)}** — goal ≤ ${LINEAR_GOAL}: ${firstGrowth <= LINEAR_GOAL && noopGrowth <= LINEAR_GOAL ? 'met' : '**missed**'}.`,
    `- No-op / first at every size: ${noopRatios.map(r => r.toFixed(3)).join(', ')} — goal ≤ ${NOOP_GOAL}: ${noopRatios.every(r => r <= NOOP_GOAL) ? 'met' : '**missed**'}.`,
    `- Peak RSS of the backend over the first run's walk (\`VmHWM\` reset before the run, read when the harness first sees it collecting) at ${largest.size.toLocaleString('en')}: ${s(largest.peakWalkMb).median.toFixed(0)} MB — goal < ${WALK_RSS_GOAL_MB} MB: ${s(largest.peakWalkMb).median < WALK_RSS_GOAL_MB ? 'met' : '**missed**'} (highest of all sizes ${walkPeak.toFixed(0)} MB); over the whole first run, collection included, ${s(largest.peakFirstMb).median.toFixed(0)} MB. Measured on the backend the "Backend" line above names.`,
    ...(largest.heapLimited
      ? [
          `- The same walk at ${largest.size.toLocaleString('en')} with the heap limit the README gives for large first runs (\`NODE_OPTIONS=${HEAP_LIMIT_FLAGS.join(' ')}\`, fresh deployments, \`bench/scale/heapLimitedWalk.ts\`): peak RSS **${fmt(s(largest.heapLimited.peakWalkMb), '', 0)} MB** (${s(largest.heapLimited.peakWalkMb).median < WALK_RSS_GOAL_MB ? 'under' : 'above'} the goal), walk ${fmt(s(largest.heapLimited.walk))} s against ${fmt(s(largest.walk))} s with Node's defaults. With the defaults V8 lets the heap grow to about four times what is live before a full collection; the limit has it collect sooner.`,
        ]
      : []),
    '',
    `The no-op run against its bound, per size: the registry alone answering the run's ${NOOP_REQUESTS_IN_FLIGHT} conditional requests in flight (\`If-None-Match\`, one per stored package, no dependency order, nothing else running; \`bench/lib/conditionalFloor.ts\`), and what the no-op run cost the backend and PostgreSQL per package (CPU from \`/proc\`, transactions from \`pg_stat_database\`, including the harness's polls):`,
    '',
    '| packages | no-op run, s | registry alone (floor), s | floor / first run | no-op / floor | backend CPU, ms per package | PostgreSQL CPU, ms per package | transactions per package | rows read per package |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(r => {
      const floor = r.floor.length ? s(r.floor) : undefined;
      const per = (values: number[], scale = 1) => ((s(values).median * scale) / r.size).toFixed(2);
      return `| ${r.size.toLocaleString('en')} | ${fmt(s(r.noop))} | ${floor ? `${fmt(floor)} (${r.floorNotModified} answered 304)` : '—'} | ${floor ? (floor.median / s(r.first).median).toFixed(3) : '—'} | ${floor ? (s(r.noop).median / floor.median).toFixed(2) : '—'} | ${per(r.noopBackendCpu, 1000)} | ${per(r.noopPostgresCpu, 1000)} | ${per(r.noopTransactions)} | ${per(r.noopRows)} |`;
    }),
    '',
    '"Rows read" is the sum over the plugin\'s tables of rows read by sequential scans and rows fetched by index scans (`pg_stat_user_tables`, including the harness\'s `GET /runs/:id` polls); "(walk)" is the part read before the harness saw the run collecting. Table scans of the last first run at the largest size:',
    '',
    tableScansTable(largest.scansFirst),
    '',
    'and of the last no-op run at the largest size:',
    '',
    tableScansTable(largest.scansNoop),
    ...(largest.explained
      ? [
          '',
          `The statements of the no-op path (\`bench/lib/explainNoop.ts\`: the same store code run against the database of the last repetition at ${largest.size.toLocaleString('en')} packages, statements captured from knex, each with PostgreSQL's \`EXPLAIN\`): ${largest.explained.statements} distinct statements, each over a chunk of artifacts or versions. ${largest.explained.seqScans.length ? `Sequential scans of the plugin's tables: ${largest.explained.seqScans.map(l => `\`${l}\``).join(', ')}.` : "No sequential scan of the plugin's tables."} Rows written by recording the stored selection and verdicts again: ${largest.explained.rowsWritten}.`,
          '',
          '<details><summary>Statements and plans</summary>',
          '',
          largest.explained.markdown,
          '</details>',
        ]
      : []),
    ...(profiled?.profile
      ? [
          '',
          `### Where a no-op run's time goes at ${profiled.size.toLocaleString('en')} packages (CPU profile of the backend during one more no-op run)`,
          '',
          profiled.profile.markdown,
        ]
      : []),
  ];
  const parts = scaleMissedGoals({
    sizes: rows.map(r => ({
      size: r.size,
      first: s(r.first).median,
      noop: s(r.noop).median,
      floor: r.floor.length ? s(r.floor).median : undefined,
      noopBackendCpu: s(r.noopBackendCpu).median,
    })),
    noopGoal: NOOP_GOAL,
    linearGoal: LINEAR_GOAL,
    firstGrowth,
    noopGrowth,
    rssGoalMb: WALK_RSS_GOAL_MB,
    walkPeakMb: s(largest.peakWalkMb).median,
    heapLimitedPeakMb: largest.heapLimited ? s(largest.heapLimited.peakWalkMb).median : undefined,
    heapLimitFlags: HEAP_LIMIT_FLAGS,
  });
  return {
    figure: `per-package growth ${smallest.size}→${largest.size}: first ${firstGrowth.toFixed(2)}, no-op ${noopGrowth.toFixed(2)}; no-op/first ${Math.max(...noopRatios).toFixed(3)} (worst)`,
    goal: `≤ ${LINEAR_GOAL} growth, no-op ≤ ${NOOP_GOAL}, RSS < ${WALK_RSS_GOAL_MB} MB`,
    met,
    body: body.join('\n'),
    proposal: parts.join(' ') || undefined,
  };
}
