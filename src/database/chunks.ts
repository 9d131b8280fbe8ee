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

/**
 * Artifact refs per `where artifact_ref in (…)` over `artifact_versions`:
 * on a table not yet analysed (a first run's), PostgreSQL takes each
 * artifact for half a percent of the versions, so a hundred artifacts look
 * like half the table and it scans the whole of it; fifty stay on the index.
 */
export const ARTIFACT_LOOKUP_CHUNK = 50;

/** Rows per multi-row insert of wide rows. */
export const INSERT_CHUNK = 200;

/** `items` in slices of at most `size` (default {@link CHUNK}). */
export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  return sliceInto(items, size);
}
