import fs from 'node:fs';

// Readings from /proc, for the memory figures and the CPU breakdowns. The
// kernel counts CPU time in clock ticks of 1/100 s on Linux.
const TICKS_PER_SECOND = 100;

function statusField(pid: number, field: string): number | undefined {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) * 1024 : undefined;
}

/** Peak resident set size of a process in bytes (VmHWM). */
export function peakRss(pid: number): number {
  return statusField(pid, 'VmHWM') ?? 0;
}

/** Current resident set size of a process in bytes (VmRSS). */
export function currentRss(pid: number): number {
  return statusField(pid, 'VmRSS') ?? 0;
}

/**
 * Resets the peak RSS of a process to its current RSS (clear_refs value 5),
 * so that one process can be measured several times. False when the kernel
 * refuses.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** User + system CPU seconds a process has used so far; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of the children a process has waited for (cutime + cstime):
 * how the harness measures a baseline tool that has exited.
 */
export function reapedChildrenCpuSeconds(pid: number = process.pid): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
}

/** Pids of the running processes whose command name is `comm` (e.g. `postgres`, `beam.smp`). */
export function pidsByCommand(comm: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) {
        pids.push(Number(entry));
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Total CPU seconds (user + system, all processes) of the machine since boot. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const values = line.split(/\s+/).slice(1).map(Number);
  const idle = values[3] + (values[4] ?? 0);
  const total = values.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

/** Pids of the children of `parent` whose command line contains `needle`. */
export function childPidsMatching(needle: string, parent: number = process.pid): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) {
        pids.push(Number(entry));
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}
