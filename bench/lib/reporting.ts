import { BackendProcess } from './BackendProcess';
import { CpuProfileSummary, summarizeCpuProfile } from './cpuProfile';
import { CpuReport, otherCores } from './CpuMeter';

/** A Node process runs its JavaScript on one thread: above this many cores it is at its limit. */
export const NODE_LIMIT_CORES = 0.85;

/** A CPU report as a Markdown table. */
export function cpuReportTable(report: CpuReport): string {
  return [
    '| process | CPU s | cores |',
    '|---|---|---|',
    ...report.bySubject.map(
      s => `| ${s.name} | ${s.cpuSeconds.toFixed(2)} | ${s.cores.toFixed(2)} |`,
    ),
    `| *other processes on the machine* | ${(otherCores(report) * report.wallSeconds).toFixed(2)} | ${otherCores(report).toFixed(2)} |`,
    `| *machine, all processes* | ${(report.machineBusy * report.cores * report.wallSeconds).toFixed(2)} | ${(report.machineBusy * report.cores).toFixed(2)} of ${report.cores} (${(report.machineBusy * 100).toFixed(0)} % busy over ${report.wallSeconds.toFixed(1)} s) |`,
  ].join('\n');
}

/**
 * A report's lines on the CPU of one run: `title`, the table of its CPU by
 * process, and what bound the run.
 */
export function cpuSection(title: string, report: CpuReport): string[] {
  return [title, '', cpuReportTable(report), '', boundBy(report)];
}

/**
 * Profiles the backend while `work` runs and summarizes where its CPU time
 * went. Profiling slows the backend down, so this is never one of the
 * timed repetitions. When profiling fails, the summary says why and the
 * figures stand without it.
 */
export async function profileSection(
  backend: BackendProcess,
  work: () => Promise<void>,
): Promise<CpuProfileSummary> {
  try {
    return summarizeCpuProfile(await backend.profile(work));
  } catch (error) {
    return {
      markdown: `The profiling run failed, so there is no profile: \`${String(error).split('\n')[0]}\``,
      share: () => 0,
    };
  }
}

/** A share as a percentage with no decimals. */
export function pct(share: number): string {
  return `${Math.round(share * 100)} %`;
}

/** Names what bound a run, from its CPU report. */
export function boundBy(report: CpuReport): string {
  const ours = report.bySubject.reduce((sum, x) => sum + x.cores, 0);
  const others = otherCores(report);
  const top = [...report.bySubject].sort((x, y) => y.cores - x.cores)[0];
  const parts = [
    `Bound: the processes of this benchmark used ${ours.toFixed(2)} of ${report.cores} cores, other work on the machine ${others.toFixed(2)}.`,
  ];
  const busy = `${Math.round(report.machineBusy * 100)} %`;
  if (report.machineBusy >= 0.9) {
    parts.push(
      `All cores were busy (${busy}), so the run was bound by CPU${others > 0.25 ? ', part of which other work on the machine took' : ''}.`,
    );
  } else if (report.machineBusy >= 0.75) {
    parts.push(`The cores were ${busy} busy: close to bound by CPU.`);
  }
  const nodeLimited = top.cores > NODE_LIMIT_CORES && /backend|s3rver|file server|verdaccio/.test(top.name);
  if (nodeLimited) {
    parts.push(
      `${top.name} alone used ${top.cores.toFixed(2)} cores: a Node process, whose JavaScript runs on one thread, at its limit.`,
    );
  }
  if (report.machineBusy < 0.75 && !nodeLimited) {
    parts.push('Neither the cores nor one process were saturated: the run mostly waited (see the database sessions).');
  }
  return parts.join(' ');
}
