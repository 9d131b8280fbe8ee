import knexFactory from 'knex';
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

/** Waits until PostgreSQL has published the counters of idle sessions. */
export function settleStats(): Promise<void> {
  return new Promise(r => setTimeout(r, 1500));
}
