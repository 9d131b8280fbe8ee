import { chunks as sliceInto } from '../lib/chunks';

/**
 * Values per `where in (…)` or rows per multi-row insert: well under
 * SQLite's limit of bound variables per statement, also for rows of a
 * dozen columns.
 */
export const CHUNK = 500;
/** Rows per multi-row insert of wide rows. */
export const INSERT_CHUNK = 200;

/** `items` in slices of at most `size` (default {@link CHUNK}). */
export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  return sliceInto(items, size);
}
