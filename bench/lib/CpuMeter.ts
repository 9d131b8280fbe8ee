import os from 'node:os';
import knexFactory from 'knex';
import { POSTGRES } from './Deployment';
import { cpuSeconds, machineCpuSeconds, pidsByCommand } from './procfs';

/** A named group of processes whose CPU time is measured together. */
export interface CpuSubject {
  name: string;
  /** Pids to read; called at the start and at the end of the interval. */
  pids: () => number[] | Promise<number[]>;
}

/** CPU seconds per subject over an interval, and the machine's busy share. */
export interface CpuReport {
  wallSeconds: number;
  bySubject: Array<{ name: string; cpuSeconds: number; cores: number }>;
  /** Share of all cores that were busy, 0..1. */
  machineBusy: number;
  /** Cores of the machine. */
  cores: number;
}

/** Cores used by processes outside the report's subjects (other work on the machine). */
export function otherCores(report: CpuReport): number {
  const ours = report.bySubject.reduce((sum, s) => sum + s.cores, 0);
  return Math.max(0, report.machineBusy * report.cores - ours);
}

/**
 * Pids of the PostgreSQL server processes working for one database: its
 * client sessions plus the server's own writers, so that other databases'
 * work (other test suites on the same server) stays out.
 */
async function postgresPids(database: string): Promise<number[]> {
  const admin = knexFactory({ client: 'pg', connection: { ...POSTGRES, database: 'postgres' } });
  try {
    const rows: Array<{ pid: number }> = await admin('pg_stat_activity')
      .where({ datname: database })
      .orWhereIn('backend_type', ['walwriter', 'checkpointer', 'background writer'])
      .select('pid');
    return rows.map(r => r.pid);
  } finally {
    await admin.destroy();
  }
}

/**
 * Measures where CPU time went during a measurement: per process group
 * (backend, s3rver, upstream, PostgreSQL, RabbitMQ, a baseline tool, this
 * harness) and for the whole machine, from /proc. This is what tells a
 * bound by cores from a bound by one server, and shows other work on the
 * machine.
 */
export class CpuMeter {
  private readonly subjects: CpuSubject[];
  private start?: {
    at: number;
    machine: { busy: number; total: number };
    cpu: Map<string, Map<number, number>>;
  };

  constructor(subjects: CpuSubject[]) {
    this.subjects = [...subjects, { name: 'bench harness', pids: () => [process.pid] }];
  }

  /** Subjects for the shared services; PostgreSQL limited to one database when given. */
  static services(database?: string): CpuSubject[] {
    return [
      {
        name: 'PostgreSQL',
        pids: () => (database ? postgresPids(database) : pidsByCommand('postgres')),
      },
      { name: 'RabbitMQ', pids: () => pidsByCommand('beam.smp') },
    ];
  }

  async begin(): Promise<void> {
    const cpu = await this.read();
    this.start = { at: Date.now(), machine: machineCpuSeconds(), cpu };
  }

  async end(): Promise<CpuReport> {
    const machine = machineCpuSeconds();
    const at = Date.now();
    const now = await this.read();
    const start = this.start!;
    const wallSeconds = (at - start.at) / 1000;
    const bySubject = this.subjects.map(subject => {
      const before = start.cpu.get(subject.name)!;
      let used = 0;
      for (const [pid, seconds] of now.get(subject.name)!) {
        used += seconds - (before.get(pid) ?? 0);
      }
      return { name: subject.name, cpuSeconds: used, cores: used / wallSeconds };
    });
    const total = machine.total - start.machine.total;
    return {
      wallSeconds,
      bySubject,
      machineBusy: total > 0 ? (machine.busy - start.machine.busy) / total : 0,
      cores: os.availableParallelism(),
    };
  }

  private async read(): Promise<Map<string, Map<number, number>>> {
    const out = new Map<string, Map<number, number>>();
    for (const s of this.subjects) {
      const pids = await s.pids();
      out.set(s.name, new Map(pids.map(pid => [pid, cpuSeconds(pid)] as const)));
    }
    return out;
  }
}
