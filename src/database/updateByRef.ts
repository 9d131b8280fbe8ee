import { Knex } from 'knex';
import { chunks, LOOKUP_CHUNK } from './chunks';

/** One row's new values, by column, for {@link updateByRef}. */
export interface RowUpdate {
  ref: number;
  values: Record<string, string | number | boolean | null>;
}

/**
 * Writes rows of a table, each with values of its own, in one `UPDATE` per
 * {@link LOOKUP_CHUNK} rows rather than one per row: a column every row of
 * the chunk sets to the same value is set plainly, any other one through
 * `CASE ref WHEN … THEN … ELSE <column> END`, so that a row not setting it
 * keeps its value (and PostgreSQL takes the values' type from the column).
 * SQLite and PostgreSQL alike. Returns rows written.
 */
export async function updateByRef(db: Knex, table: string, rows: RowUpdate[]): Promise<number> {
  let written = 0;
  for (const part of chunks(rows, LOOKUP_CHUNK)) {
    const columns = new Set(part.flatMap(r => Object.keys(r.values)));
    const set: Record<string, unknown> = {};
    for (const column of columns) {
      const first = part[0].values[column];
      if (part.every(r => column in r.values && r.values[column] === first)) {
        set[column] = first;
        continue;
      }
      const setting = part.filter(r => column in r.values);
      const bindings: unknown[] = [];
      for (const r of setting) bindings.push(r.ref, r.values[column]);
      set[column] = db.raw(`CASE ?? ${'WHEN ? THEN ? '.repeat(setting.length)}ELSE ?? END`, [
        'ref',
        ...bindings,
        column,
      ] as Knex.RawBinding[]);
    }
    written += await db(table)
      .whereIn(
        'ref',
        part.map(r => r.ref),
      )
      .update(set);
  }
  return written;
}
