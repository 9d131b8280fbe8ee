/**
 * Splits items into consecutive slices of at most `size`, e.g. the rows of
 * a multi-row insert or the refs of a `WHERE ref IN (…)`, so that no
 * statement passes SQLite's or PostgreSQL's bound-variable limits.
 */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  if (!(size >= 1)) throw new RangeError(`chunk size must be at least 1, not ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
