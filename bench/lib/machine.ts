import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** The machine a figure was measured on. */
export interface MachineInfo {
  date: string;
  nproc: number;
  memory: string;
  cpu: string;
  node: string;
  kernel: string;
  /** 1-minute load average when the benchmark started: other work on the machine shows here. */
  loadAverage: number;
}

function nproc(): number {
  try {
    return Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    return os.availableParallelism();
  }
}

export function machineInfo(): MachineInfo {
  return {
    date: new Date().toISOString(),
    nproc: nproc(),
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    loadAverage: os.loadavg()[0],
  };
}

/** One line for a results section. */
export function describeMachine(m: MachineInfo): string {
  const load = m.loadAverage === undefined ? '' : ` · load average ${m.loadAverage.toFixed(1)} at the start`;
  return `${m.date} · \`nproc\` ${m.nproc} · ${m.memory} RAM · ${m.cpu} · Node ${m.node} · ${m.kernel}${load}`;
}
