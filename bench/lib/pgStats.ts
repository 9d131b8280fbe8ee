import knexFactory, { Knex } from 'knex';
import { POSTGRES } from './Deployment';

/** PostgreSQL's counters of one database (pg_stat_database). */
export interface PgCounters {
  transactions: number;
  rowsReturned: number;
  rowsFetched: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsDeleted: number;
}

/**
 * Reads the activity counters of a database. PostgreSQL publishes a
 * session's counters at most once a second and when it goes idle, so the
 * caller waits a little after the work before the second reading.
 */
export async function pgCounters(database: string): Promise<PgCounters> {
  const admin = knexFactory({ client: 'pg', connection: { ...POSTGRES, database: 'postgres' } });
  try {
    const row = await admin('pg_stat_database')
      .where({ datname: database })
      .first(
        'xact_commit',
        'xact_rollback',
        'tup_returned',
        'tup_fetched',
        'tup_inserted',
        'tup_updated',
        'tup_deleted',
      );
    return {
      transactions: Number(row.xact_commit) + Number(row.xact_rollback),
      rowsReturned: Number(row.tup_returned),
      rowsFetched: Number(row.tup_fetched),
      rowsInserted: Number(row.tup_inserted),
      rowsUpdated: Number(row.tup_updated),
      rowsDeleted: Number(row.tup_deleted),
    };
  } finally {
    await admin.destroy();
  }
}

/** The difference of two readings. */
export function pgDelta(before: PgCounters, after: PgCounters): PgCounters {
  const out = {} as PgCounters;
  for (const key of Object.keys(before) as Array<keyof PgCounters>) {
    out[key] = after[key] - before[key];
  }
  return out;
}

/**
 * How long to wait before reading PostgreSQL's counters between phases: a
 * backend that went idle less than a second after its last report keeps
 * its counts for up to 10 s (PostgreSQL 15's idle flush interval), so a
 * shorter wait counts the end of one phase into the next.
 */
export const PHASE_STATS_SETTLE_MS = 11_000;

/** Waits until PostgreSQL has published the counters of idle sessions (`ms` after the last statement). */
export function settleStats(ms = 1500): Promise<void> {
  return new Promise(r => setTimeout(r, ms));
}

/** Scan counters of one table (pg_stat_user_tables). */
export interface TableScans {
  table: string;
  seqScans: number;
  seqRowsRead: number;
  indexScans: number;
  indexRowsFetched: number;
}

/** Scan counters of every table of the database `db` is connected to. */
export async function tableScans(db: Knex): Promise<TableScans[]> {
  const rows = await db('pg_stat_user_tables').select(
    'relname',
    'seq_scan',
    'seq_tup_read',
    'idx_scan',
    'idx_tup_fetch',
  );
  return rows.map((r: any) => ({
    table: r.relname,
    seqScans: Number(r.seq_scan ?? 0),
    seqRowsRead: Number(r.seq_tup_read ?? 0),
    indexScans: Number(r.idx_scan ?? 0),
    indexRowsFetched: Number(r.idx_tup_fetch ?? 0),
  }));
}

/** Per-table differences of two readings, the most rows read by sequential scans first. */
export function tableScansDelta(before: TableScans[], after: TableScans[]): TableScans[] {
  const old = new Map(before.map(t => [t.table, t]));
  return after
    .map(t => {
      const b = old.get(t.table);
      return {
        table: t.table,
        seqScans: t.seqScans - (b?.seqScans ?? 0),
        seqRowsRead: t.seqRowsRead - (b?.seqRowsRead ?? 0),
        indexScans: t.indexScans - (b?.indexScans ?? 0),
        indexRowsFetched: t.indexRowsFetched - (b?.indexRowsFetched ?? 0),
      };
    })
    // Scans that read nothing (empty lock and migration tables) are noise.
    .filter(t => t.seqRowsRead > 0 || t.indexScans > 0)
    .sort((a, b) => b.seqRowsRead - a.seqRowsRead);
}

/** Table scan differences as a Markdown table. */
export function tableScansTable(delta: TableScans[]): string {
  return [
    '| table | sequential scans | rows read by them | index scans | rows fetched by them |',
    '|---|---|---|---|---|',
    ...delta.map(
      t => `| ${t.table} | ${t.seqScans} | ${t.seqRowsRead} | ${t.indexScans} | ${t.indexRowsFetched} |`,
    ),
  ].join('\n');
}
