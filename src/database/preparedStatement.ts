import { Knex } from 'knex';

/**
 * Names a PostgreSQL statement (knex's `.options({ name })`), so that each
 * pooled connection parses and plans it once and afterwards only binds and
 * executes it. Meant for the statements run once per collected file, whose
 * text never changes (their variable lists go in as arrays): measured on a
 * file claim, parsing and planning were about 0.4 ms of PostgreSQL's CPU
 * and 0.2 ms of the backend's per execution.
 *
 * Such a statement must name its result columns rather than `*`: a cached
 * plan whose result type changes (a migration adding a column while an
 * older replica runs) fails instead of being planned again. Poolers in
 * transaction mode need prepared-statement support for it (PgBouncer 1.21
 * and later, `max_prepared_statements`).
 *
 * Operators behind such a pooler without that support turn it off with
 * `backpack.database.preparedStatements: false`.
 *
 * @param name - unique per statement text on the connection
 * @param enabled - false sends the statement unnamed, parsed every time
 */
export function named<T extends Knex.Raw>(raw: T, name: string, enabled = true): T {
  return enabled ? raw.options({ name }) : raw;
}

/** Options of the operations that name their statements (see {@link named}). */
export interface NamedStatementOptions {
  /** Default true; false for poolers without prepared-statement support. */
  preparedStatements?: boolean;
}
