// Values as the drivers return them. SQLite gives booleans as 0/1,
// timestamps as the strings we stored and counts as numbers; PostgreSQL
// gives booleans, Date objects and bigint counts as strings. Every mapper in
// `rows/` evens them out through these, and only these.

/** What `Date.prototype.toISOString` prints for years 0 to 9999. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A timestamp column as an ISO 8601 string. */
export function toIso(value: string | Date): string {
  if (value instanceof Date) return value.toISOString();
  // As the stores write them, and as listings read them from PostgreSQL
  // (see isoTimestamps.ts): already in the API's form.
  if (ISO_UTC.test(value)) return value;
  // SQLite's CURRENT_TIMESTAMP format, in case a row was written by hand.
  const normalized = /^\d{4}-\d{2}-\d{2} \d/.test(value)
    ? `${value.replace(' ', 'T')}Z`
    : value;
  return new Date(normalized).toISOString();
}

/** A nullable timestamp column as an ISO 8601 string or undefined. */
export const optionalIso = (value: string | Date | null | undefined): string | undefined =>
  value ? toIso(value) : undefined;

/** A count or bigint column as a number; null is 0. */
export const toNumber = (value: unknown): number =>
  value === null || value === undefined ? 0 : Number(value);

/** A nullable number column as a number or undefined. */
export const optionalNumber = (value: number | string | null | undefined): number | undefined =>
  value === null || value === undefined ? undefined : Number(value);

/** A boolean column, whichever way the driver spells it. */
export const toBoolean = (value: unknown): boolean =>
  value === true || value === 1 || value === '1' || value === 't';

/** A JSON text column; the fallback when it is empty or not JSON. */
export function fromJson<T>(text: string | null | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** The current time as the stores write it. */
export const now = (): string => new Date().toISOString();

/** The time `ms` from now. */
export const msFromNow = (ms: number): string => new Date(Date.now() + ms).toISOString();

/** A time long past: a lease or heartbeat set to it has run out for everyone. */
export const EPOCH = new Date(0).toISOString();

/** The time `ms` ago, for comparisons with timestamp columns. */
export const msAgo = (ms: number): string => new Date(Date.now() - ms).toISOString();
