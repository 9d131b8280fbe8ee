import { chunks as sliceInto } from '../lib/chunks';

/**
 * Values per `where in (…)` or rows per multi-row insert: well under
 * SQLite's limit of bound variables per statement, also for rows of a
 * dozen columns.
 */
export const CHUNK = 500;
/**
 * Keys per `where in (…)` that reads rows by a non-unique index (the
 * versions of artifacts, the dependencies of versions): with hundreds of
 * keys PostgreSQL estimates the rows as a large share of a big table and
 * scans it whole, once per chunk, which grows with the square of the
 * mirror; a hundred keys stay on the index.
 */
export const LOOKUP_CHUNK = 100;

/** Rows per multi-row insert of wide rows. */
export const INSERT_CHUNK = 200;

/** `items` in slices of at most `size` (default {@link CHUNK}). */
export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  return sliceInto(items, size);
}
