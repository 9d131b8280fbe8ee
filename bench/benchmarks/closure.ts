import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { npmCorpusDir } from '../../src/__testUtils__/npmCorpus';
import { Benchmark, BenchmarkContext, BenchmarkResult } from '../Benchmark';
import { BackpackApi } from '../lib/BackpackApi';
import { cleanEnv, runCommand, shellQuote } from '../lib/commands';
import { cpuReportTable, profileSection } from '../lib/reporting';
import { CpuMeter, CpuReport } from '../lib/CpuMeter';
import { childPidsMatching } from '../lib/procfs';
import { fmt, ratio, summarize } from '../lib/stats';

const ROOT = { processor: 'npm', id: 'jest', filter: '29.7.0' };
const GOAL = 0.5;

/** name@version of every package in a package-lock.json (v2/v3). */
function lockClosure(lockFile: string): Set<string> {
  const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
  const out = new Set<string>();
  for (const [key, entry] of Object.entries<any>(lock.packages ?? {})) {
    if (!key) continue;
    const name = entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    out.add(`${name}@${entry.version}`);
  }
  return out;
}

function difference(a: Set<string>, b: Set<string>): string[] {
  return [...a].filter(x => !b.has(x)).sort();
}

/**
 * Why the preview holds pairs npm left out: the selection reasons of each
 * such pair whose parent is in both closures, i.e. where the two part ways.
 */
function explainExtras(preview: any, extras: string[], npmSet: Set<string>): string[] {
  const extra = new Set(extras);
  const lines: string[] = [];
  for (const artifact of preview.artifacts ?? []) {
    for (const version of artifact.versions ?? []) {
      const key = `${artifact.id}@${version.version}`;
      if (!extra.has(key)) continue;
      for (const reason of version.selection ?? []) {
        const parent = `${reason.id}@${reason.version}`;
        if (reason.type === 'required-by' && npmSet.has(parent)) {
          lines.push(`- \`${key}\` ← \`${parent}\` requires \`${artifact.id}@${reason.range}\``);
        }
      }
    }
  }
  return lines;
}

/** The preview's byte total, saying when the upstream published no sizes. */
function describeBytes(totals: { files?: number; bytes?: number; filesWithoutSize?: number } = {}): string {
  const mb = `${((totals.bytes ?? 0) / 1e6).toFixed(1)} MB`;
  if (!totals.filesWithoutSize) return mb;
  if (totals.filesWithoutSize === totals.files) return 'no sizes published by the registry';
  return `${mb}, ${totals.filesWithoutSize} files without a published size`;
}

function compare(label: string, a: Set<string>, aName: string, b: Set<string>, bName: string): string {
  const onlyA = difference(a, b);
  const onlyB = difference(b, a);
  if (!onlyA.length && !onlyB.length) return `- ${label}: **the same ${a.size} name@version pairs**.`;
  const list = (xs: string[]) => (xs.length ? xs.map(x => `\`${x}\``).join(', ') : 'none');
  return `- ${label}: ${aName} ${a.size}, ${bName} ${b.size}; only in ${aName}: ${list(onlyA)}; only in ${bName}: ${list(onlyB)}.`;
}

/**
 * 1. Closure discovery: Backpack's preview of jest@29.7.0 (metadata only)
 * against `npm install --package-lock-only` with an empty cache, both from
 * the same verdaccio.
 */
export const closureBenchmark: Benchmark = {
  name: 'closure',
  title: 'Closure discovery',
  async run(ctx: BenchmarkContext): Promise<BenchmarkResult> {
    const { env } = ctx;
    const deployment = env.deployment();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'backpack-bench-npm-'));
    try {
      const backend = await deployment.startBackend();
      const api = new BackpackApi(backend.baseUrl, env.token);
      const npmArgs = (dir: string) => [
        'install',
        '--package-lock-only',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--no-update-notifier',
        `--registry=${env.verdaccio.url}/`,
        `--cache=${path.join(dir, 'cache')}`,
        'jest@29.7.0',
      ];
      let runIndex = 0;
      const runNpm = async () => {
        const dir = path.join(work, `npm-${runIndex++}`);
        fs.mkdirSync(path.join(dir, 'project'), { recursive: true });
        const result = await runCommand('npm', npmArgs(dir), {
          cwd: path.join(dir, 'project'),
          env: cleanEnv({ npm_config_userconfig: path.join(dir, 'npmrc') }),
        });
        return { ...result, lockFile: path.join(dir, 'project', 'package-lock.json'), dir };
      };
      const runPreview = async () => {
        const start = process.hrtime.bigint();
        const preview = await api.expect([200], 'POST', '/artifacts/preview', ROOT);
        return { seconds: Number(process.hrtime.bigint() - start) / 1e9, preview };
      };

      ctx.log('closure: warm-up (one untimed run of each)');
      await runNpm();
      await runPreview();

      const npmSeconds: number[] = [];
      const npmCpu: number[] = [];
      const backpackSeconds: number[] = [];
      let lastLock = '';
      let lastPreview: any;
      const meter = new CpuMeter([
        { name: 'Backpack backend', pids: () => [backend.pid] },
        { name: 'verdaccio', pids: () => childPidsMatching('verdaccio') },
        ...CpuMeter.services(deployment.databaseName),
      ]);
      const backpackCpu: CpuReport[] = [];
      for (let i = 0; i < ctx.repetitions; i++) {
        // Alternate, so that drift of the machine hits both alike.
        const n = await runNpm();
        npmSeconds.push(n.seconds);
        npmCpu.push(n.cpuSeconds);
        lastLock = n.lockFile;
        await meter.begin();
        const p = await runPreview();
        backpackCpu.push(await meter.end());
        backpackSeconds.push(p.seconds);
        lastPreview = p.preview;
        ctx.log(`closure: npm ${n.seconds.toFixed(2)} s, preview ${p.seconds.toFixed(2)} s`);
      }
      const startup = summarize(
        await Promise.all([0, 1, 2].map(async () => (await runCommand('npm', ['--version'])).seconds)),
      );

      const npmSummary = summarize(npmSeconds);
      const bpSummary = summarize(backpackSeconds);
      const r = ratio(bpSummary, npmSummary);
      const met = r.value <= GOAL;

      const npmSet = lockClosure(lastLock);
      const previewSet = new Set<string>(lastPreview.closure?.npm ?? []);
      const fixture = new Set(
        fs
          .readFileSync(path.join(npmCorpusDir, 'npm-corpus.jest.closure.txt'), 'utf8')
          .split('\n')
          .map(l => l.trim())
          .filter(Boolean),
      );

      const body: string[] = [
        `Root \`jest@29.7.0\` (filter \`29.7.0\`, policy \`latest\`). Backpack: \`POST /api/backpack/artifacts/preview\` with \`${JSON.stringify(ROOT)}\` to a warm backend (metadata only, nothing written). npm: a fresh empty cache and project directory per run, after one untimed warm-up of each:`,
        '',
        '```sh',
        `cd <empty dir> && npm ${shellQuote(npmArgs('<tmp>')).replace(env.verdaccio.url, 'http://127.0.0.1:<verdaccio port>')}`,
        '```',
        '',
        '`--no-audit --no-fund --no-update-notifier` keep npm to resolving the tree (the audit would be one more request verdaccio cannot answer).',
        '',
        '| | wall time, s |',
        '|---|---|',
        `| Backpack preview | ${fmt(bpSummary)} |`,
        `| npm install --package-lock-only | ${fmt(npmSummary)} |`,
        `| (npm's own start-up, \`npm --version\`) | ${fmt(startup)} |`,
        '',
        `**Ratio Backpack / npm: ${r.text}** — goal ≤ ${GOAL}: ${met ? 'met' : '**missed**'}.`,
        '',
        `npm used ${fmt(summarize(npmCpu), ' s')} of CPU per run. Preview reported ${lastPreview.totals?.artifacts} artifacts, ${lastPreview.totals?.versions} versions, ${lastPreview.totals?.files} files (${describeBytes(lastPreview.totals)}), ${lastPreview.unresolvable?.length ?? 0} unresolvable dependencies.`,
        '',
        'Closures compared (name@version):',
        '',
        compare('Backpack preview vs npm package-lock', previewSet, 'preview', npmSet, 'npm'),
        compare('Backpack preview vs the fixture list (npm-corpus.jest.closure.txt)', previewSet, 'preview', fixture, 'fixture'),
        compare('npm package-lock vs the fixture list', npmSet, 'npm', fixture, 'fixture'),
      ];
      const extras = difference(previewSet, npmSet);
      const missing = difference(npmSet, previewSet);
      if (extras.length && !missing.length) {
        body.push(
          '',
          `npm's closure is contained in Backpack's, so an install from the mirror finds every package npm needs. The ${extras.length} extra pairs enter where Backpack's \`latest\` policy (and the fixture's rule) takes the highest version satisfying each declared range, while npm satisfies a peer dependency with a version already in its tree:`,
          '',
          ...explainExtras(lastPreview, extras, npmSet),
          '',
          'and the rest are the dependencies of those.',
        );
      }
      body.push(
        '',
        'CPU during the last preview (seconds of CPU; "cores" = CPU seconds per wall second):',
        '',
        cpuReportTable(backpackCpu[backpackCpu.length - 1]),
      );

      let proposal: string | undefined;
      if (!met) {
        ctx.log('closure: goal missed; profiling two previews');
        const profile = await profileSection(backend, async () => {
          await runPreview();
          await runPreview();
        });
        body.push('', '### Where the time goes (CPU profile of the backend over two previews)', '', profile.markdown);
        const cpu = backpackCpu[backpackCpu.length - 1];
        const verdaccio = cpu.bySubject.find(x => x.name === 'verdaccio')?.cores ?? 0;
        proposal =
          verdaccio > 0.85
            ? `verdaccio (one process) used ${verdaccio.toFixed(2)} cores during the preview: the registry bounds it, not Backpack.`
            : `the backend's CPU during the preview is in the profile of this section; the walk fetches one packument per package with at most \`backpack.upstream.maxConcurrencyPerHost\` (8) in flight, so raising it is the first thing to try.`;
      }
      let closures = 'closures identical';
      if (extras.length || missing.length) {
        closures = missing.length
          ? `closures differ (${missing.length} of npm's missing)`
          : `closure ⊇ npm's (+${extras.length})`;
      }
      return {
        figure: `Backpack/npm ${r.value.toFixed(2)}; ${closures}`,
        goal: `≤ ${GOAL}`,
        met,
        body: body.join('\n'),
        proposal,
      };
    } finally {
      await env.disposeDeployment(deployment);
      fs.rmSync(work, { recursive: true, force: true });
    }
  },
};
