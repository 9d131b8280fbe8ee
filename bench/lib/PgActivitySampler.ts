import knexFactory, { Knex } from 'knex';
import { POSTGRES } from './Deployment';

/** What the database sessions were doing during a measurement. */
export interface DbActivity {
  markdown: string;
  /** Average number of sessions whose state matches the pattern. */
  average(pattern: RegExp): number;
}

/**
 * Samples what the sessions on one database are doing (pg_stat_activity)
 * while a measurement runs: busy, waiting on a lock, idle inside a
 * transaction. Shows whether collection waits on the database, which a CPU
 * profile of the backend cannot.
 */
export class PgActivitySampler {
  private readonly db: Knex;
  private readonly counts = new Map<string, number>();
  private samples = 0;
  private timer?: NodeJS.Timeout;
  private pending?: Promise<void>;

  constructor(
    private readonly database: string,
    private readonly intervalMs = 50,
  ) {
    this.db = knexFactory({
      client: 'pg',
      connection: { ...POSTGRES, database: 'postgres' },
      pool: { min: 1, max: 1 },
    });
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.pending) return;
      this.pending = this.sample().finally(() => (this.pending = undefined));
    }, this.intervalMs);
  }

  private async sample(): Promise<void> {
    const rows: Array<{
      state: string | null;
      wait_event_type: string | null;
      wait_event: string | null;
      query: string | null;
    }> = await this.db('pg_stat_activity')
      .where({ datname: this.database })
      .whereRaw('pid <> pg_backend_pid()')
      .select('state', 'wait_event_type', 'wait_event', 'query');
    this.samples += 1;
    for (const row of rows) {
      let what = row.state ?? 'unknown';
      if (row.state === 'active') {
        what = row.wait_event_type ? `active, waiting on ${row.wait_event_type}:${row.wait_event}` : 'active, running';
        // For lock waits, which statement waits tells which row is contended.
        if (row.wait_event_type === 'Lock' && row.query) {
          what += ` in \`${row.query.replace(/\s+/g, ' ').slice(0, 60)}…\``;
        }
      }
      this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
    }
  }

  /**
   * Stops sampling. The result has a Markdown table of the average number
   * of sessions in each state, and `average(pattern)`: the average number
   * of sessions whose state matches, e.g. `/Lock.*mirror_runs/`.
   */
  async stop(): Promise<DbActivity> {
    clearInterval(this.timer);
    await this.pending;
    await this.db.destroy();
    const samples = this.samples;
    const counts = new Map(this.counts);
    const average = (pattern: RegExp) => {
      let n = 0;
      for (const [what, c] of counts) if (pattern.test(what)) n += c;
      return samples ? n / samples : 0;
    };
    if (!samples) return { markdown: 'No samples of pg_stat_activity were taken.', average };
    const rows = [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([what, n]) => `| ${what} | ${(n / samples).toFixed(2)} |`);
    return {
      markdown: [
        `| session state (pg_stat_activity, ${samples} samples every ${this.intervalMs} ms) | average sessions |`,
        '|---|---|',
        ...rows,
      ].join('\n'),
      average,
    };
  }
}
