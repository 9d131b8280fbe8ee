import { ConflictError, InputError } from '@backstage/errors';
import { Knex } from 'knex';
import { VARCHAR_COLUMNS } from './columnLimits';

/** The failed statement, attached to a driver error by {@link translatingDatabaseErrors}. */
const QUERY = Symbol('backpack.failedQuery');

interface FailedQuery {
  sql?: string;
  bindings?: readonly unknown[];
}

/** The table a statement writes to. */
function tableOf(sql: string): string | undefined {
  return /(?:insert into|update)\s+"?(\w+)"?/i.exec(sql)?.[1];
}

/** The columns an insert or update binds, in the order of its bindings. */
function boundColumns(sql: string): string[] {
  const insert = /^insert into\s+"?\w+"?\s*\(([^)]*)\)/i.exec(sql);
  if (insert) return insert[1].split(',').map(c => c.trim().replace(/"/g, ''));
  const update = /^update\s+"?\w+"?\s+set\s+(.*?)\s+where\s/i.exec(sql);
  if (update) return [...update[1].matchAll(/"?(\w+)"?\s*=\s*\?/g)].map(m => m[1]);
  return [];
}

function tooLong(message: string, query?: FailedQuery): InputError {
  const length = Number(/character varying\((\d+)\)/.exec(message)?.[1]);
  const sql = query?.sql ?? message;
  const table = tableOf(sql);
  const candidates = (table ? VARCHAR_COLUMNS[table] ?? [] : []).filter(c => c.length === length);
  // Narrowed by the values bound: the column whose value is too long.
  const columns = boundColumns(sql);
  const bound = new Set(
    (query?.bindings ?? []).flatMap((value, i) =>
      columns.length > 0 && typeof value === 'string' && value.length > length
        ? [columns[i % columns.length]]
        : [],
    ),
  );
  const named = candidates.filter(c => bound.has(c.column));
  const fields = (named.length > 0 ? named : candidates).map(c => c.field);
  return new InputError(
    `${fields.length > 0 ? fields.join(' or ') : 'a value'}: must be at most ${
      Number.isNaN(length) ? 'the allowed number of' : length
    } characters`,
  );
}

/**
 * The error a caller should see for a database error its input caused: a
 * value too long for its column, a character the database cannot store, a
 * malformed value, a missing or duplicate key. Undefined for anything else
 * (connection loss, bugs), which stays a 500.
 *
 * The validation of API input and of discovery output keeps such values
 * away from the database; this is the backstop that turns what slips
 * through into a 400 naming the column rather than a 500.
 */
export function inputErrorOf(error: unknown): Error | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const { code, column } = error as { code?: unknown; column?: unknown };
  const message = String((error as { message?: unknown }).message ?? '');
  const query = (error as { [QUERY]?: FailedQuery })[QUERY];
  // The driver's error is not kept as the cause: its message holds the
  // statement, which the error body would then carry to the caller.
  switch (code) {
    // PostgreSQL, by SQLSTATE.
    case '22001': // string_data_right_truncation
      return tooLong(message, query);
    case '22021': // character_not_in_repertoire: NUL in text
    case '22P05': // untranslatable_character
      return new InputError('input: contains a character the database cannot store (e.g. NUL)');
    case '22P02': // invalid_text_representation
    case '22007': // invalid_datetime_format
    case '22008': // datetime_field_overflow
    case '22003': // numeric_value_out_of_range
      return new InputError(`input: a value is malformed or out of range`);
    case '23502': // not_null_violation
    case 'SQLITE_CONSTRAINT_NOTNULL':
      return new InputError(`${typeof column === 'string' ? column : 'a value'}: required`);
    case '23505': // unique_violation
    case 'SQLITE_CONSTRAINT_UNIQUE':
    case 'SQLITE_CONSTRAINT_PRIMARYKEY':
      return new ConflictError('already exists');
    case 'SQLITE_TOOBIG':
      return new InputError('input: a value is too large');
    default:
      return undefined;
  }
}

function translate(error: unknown): unknown {
  return inputErrorOf(error) ?? error;
}

const watched = new WeakSet<object>();

/**
 * Wraps a knex-backed store so that every method rejects with
 * {@link inputErrorOf}'s translation of a database error caused by input.
 * The one place where stores meet this concern, instead of a try/catch in
 * every method; `createBackpackStores` applies it to every store. The knex instance
 * lends the failed statement, so that the error names the column.
 */
export function translatingDatabaseErrors<T extends object>(store: T, knex: Knex): T {
  if (!watched.has(knex)) {
    watched.add(knex);
    knex.on('query-error', (error: unknown, query: FailedQuery) => {
      if (error && typeof error === 'object') {
        // A symbol, not enumerable: never serialised into a response.
        Object.defineProperty(error, QUERY, {
          value: { sql: query?.sql, bindings: query?.bindings },
          enumerable: false,
        });
      }
    });
  }
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'constructor') return value;
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = value.apply(target, args);
        } catch (error) {
          throw translate(error);
        }
        return result instanceof Promise
          ? result.catch(error => {
              throw translate(error);
            })
          : result;
      };
    },
  });
}
