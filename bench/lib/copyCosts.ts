import { CopyRun } from './copyRunners';
import { PgCounters } from './pgStats';
import { MB, summarize } from './stats';

/** CPU seconds of one process group in a copy; 0 when it was not measured. */
export function cpuOf(run: CopyRun, name: string): number {
  return run.cpu.bySubject.find(x => x.name === name)?.cpuSeconds ?? 0;
}

/** Median CPU milliseconds per file and per MB of one process over several copies. */
function perUnit(runs: CopyRun[], name: string): { perFile: number; perMb: number } {
  return {
    perFile: summarize(runs.map(r => (cpuOf(r, name) * 1000) / r.files)).median,
    perMb: summarize(runs.map(r => (cpuOf(r, name) * 1000) / (r.bytes / MB))).median,
  };
}

/**
 * What each copy cost in CPU per file and per MB, medians over every timed
 * repetition: figures that depend much less on the machine's load than wall
 * times do. The copy tool's own process first, then the servers it used.
 */
export function copyCostTable(backpack: CopyRun[], rclone: CopyRun[], alone: CopyRun[]): string {
  const rows: Array<[string, CopyRun[], string]> = [
    ['Backpack backend', backpack, 'Backpack backend'],
    ['rclone', rclone, 'rclone'],
    ['s3rver, for Backpack', backpack, 's3rver'],
    ['s3rver, for rclone', rclone, 's3rver'],
    ['s3rver, for the set put alone', alone, 's3rver'],
    ['bench harness, putting the set alone', alone, 'bench harness'],
    ['PostgreSQL, for Backpack', backpack, 'PostgreSQL'],
    ['RabbitMQ, for Backpack', backpack, 'RabbitMQ'],
    ['upstream file server, for Backpack', backpack, 'upstream file server'],
    ['upstream file server, for rclone', rclone, 'upstream file server'],
  ];
  const n = (runs: CopyRun[]) => runs.length;
  return [
    '| process | CPU ms per file | CPU ms per MB | copies |',
    '|---|---|---|---|',
    ...rows
      .filter(([, runs]) => runs.length > 0)
      .map(([label, runs, name]) => {
        const u = perUnit(runs, name);
        return `| ${label} | ${u.perFile.toFixed(2)} | ${u.perMb.toFixed(2)} | ${n(runs)} |`;
      }),
  ].join('\n');
}

/** PostgreSQL's work per file of one Backpack copy (walk included), from pg_stat_database. */
export function pgPerFile(counters: PgCounters, files: number): string {
  const per = (v: number) => (v / files).toFixed(2);
  return `PostgreSQL per file of the last Backpack copy, walk included (\`pg_stat_database\` of the deployment's database): ${per(counters.transactions)} transactions, ${per(counters.rowsUpdated)} rows updated, ${per(counters.rowsInserted)} rows inserted, ${per(counters.rowsFetched)} rows fetched.`;
}
