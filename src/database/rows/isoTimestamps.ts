// Listings map every timestamp to the API's ISO 8601 string. pg parses a
// timestamptz into a Date (a regular expression and Date arithmetic per
// value) only for the mapper to print it again, which was about a tenth of
// the backend's CPU per request of the run and export listings. PostgreSQL
// already sends the value as text; in a session in UTC (the usual server
// setting) that text is the ISO string with a space and '+00', so the
// listings ask pg for a string rearranged from it, and pg's own parser
// covers every other form (other time zones, BC, infinity).

/** The parsers of pg's type system that this needs; pg has no type declarations here. */
interface PgTypes {
  getTypeParser(oid: number, format?: string): (text: string) => unknown;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pgTypes: PgTypes = require('pg').types;

/** `timestamptz` in pg_type. */
const TIMESTAMPTZ_OID = 1184;

/** PostgreSQL's text of a timestamptz in UTC with DateStyle ISO: `2026-11-30 03:36:21.301+00`. */
const UTC_TEXT = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d+))?\+00$/;

/**
 * PostgreSQL's text of a timestamptz as `Date.prototype.toISOString` would
 * print pg's Date of it: milliseconds truncated, as the Date truncates them.
 */
export function isoFromTimestamptz(text: string): string {
  const utc = UTC_TEXT.exec(text);
  if (utc) {
    const fraction = utc[3] ?? '';
    const ms = fraction.length >= 3 ? fraction.slice(0, 3) : fraction.padEnd(3, '0');
    return `${utc[1]}T${utc[2]}.${ms}Z`;
  }
  const parsed = pgTypes.getTypeParser(TIMESTAMPTZ_OID, 'text')(text);
  return parsed instanceof Date ? parsed.toISOString() : text;
}

/**
 * pg's `types` for a query (knex's `.options({ types })`): its usual
 * parsers, but timestamptz columns as ISO strings. SQLite ignores it; its
 * timestamps are the strings the stores wrote.
 */
export const ISO_TIMESTAMPS: PgTypes = {
  getTypeParser(oid, format = 'text') {
    return oid === TIMESTAMPTZ_OID && format === 'text'
      ? isoFromTimestamptz
      : pgTypes.getTypeParser(oid, format);
  },
};
