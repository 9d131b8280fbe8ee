import { Knex } from 'knex';
import { ShortLivedCache } from '../lib/ShortLivedCache';
import { toNumber } from './rows/coerce';
import { ISO_TIMESTAMPS } from './rows/isoTimestamps';
import { Page } from './types';

/** How long a page total is reused for the same query and write count. */
const TOTAL_CACHE_MS = 5000;

/**
 * Page totals by query, reused for {@link TOTAL_CACHE_MS} while nothing
 * changed what they count: counting every matching row per request is what
 * made listing pages cost a scan each. A change is either a new value of
 * `version` (e.g. the stores' shared write counter) or a write the owning
 * store made through {@link PageTotals.changing}, so that what this process
 * writes shows at once; writes of other replicas show within the TTL.
 */
export class PageTotals {
  private readonly cache = new ShortLivedCache<number>(TOTAL_CACHE_MS);
  private changes = 0;

  constructor(private readonly version: () => number = () => 0) {}

  get(query: Knex.QueryBuilder, count: () => Promise<number>): Promise<number> {
    // The statement and its bindings as they are, not interpolated into one
    // string (`toString` escapes every value again): the same key, for half
    // the compilation that a cached total costs per request.
    const { sql, bindings } = query.toSQL();
    return this.cache.get(`${this.version()}\0${this.changes}\0${sql}\0${JSON.stringify(bindings)}`, count);
  }

  /** Awaits `write`, then counts it as a change of the totals (their rows or what filters them). */
  async changing<T>(write: PromiseLike<T>): Promise<T> {
    try {
      return await write;
    } finally {
      this.changes++;
    }
  }
}

/** Which page of a query to read, and in which order. */
export interface PageRequest {
  orderBy: Array<{ column: string; order: 'asc' | 'desc' }>;
  limit: number;
  offset: number;
  /**
   * A unique column, for tables with an index over the filters and the
   * order that ends in it: a page past the first is then read as its keys
   * first, then their rows (see {@link pageRows}).
   */
  key?: string;
}

/**
 * One page of a query and the total over all pages, both from the same
 * filtered query (so that they agree), each row mapped by `map`.
 *
 * The page is read first: when it is not full it is the last one, and the
 * total is `offset + rows` without counting. Otherwise the total is counted,
 * or with `totals` taken from a count of a moment ago (see
 * {@link PageTotals}), never less than what the page itself shows.
 */
export async function paginate<Row, Item>(
  base: Knex.QueryBuilder,
  page: PageRequest,
  map: (row: Row) => Item,
  totals?: PageTotals,
): Promise<Page<Item>> {
  const rows: Row[] = await pageRows(base, page);
  const seen = page.offset + rows.length;
  // An empty page past the end says nothing about the total.
  const last = rows.length < page.limit && (rows.length > 0 || page.offset === 0);
  if (last) return { items: rows.map(map), total: seen };
  const count = async () => {
    // Without the page's column list: a count of the filtered rows only.
    const [{ total }] = await base.clone().clearSelect().count<Array<{ total: string | number }>>({ total: '*' });
    return toNumber(total);
  };
  const total = totals ? await totals.get(base, count) : await count();
  return { items: rows.map(map), total: Math.max(total, rows.length > 0 ? seen : 0) };
}

/**
 * The rows of a page. Skipping `offset` rows reads each of them; with a
 * `key` the skipped ones are read from the index alone (an index-only scan
 * on PostgreSQL when the index covers the filters, the order and the key)
 * and only the page's own rows are fetched, by key. The first page gains
 * nothing from that, so it is read directly.
 */
function pageRows<Row>(
  base: Knex.QueryBuilder,
  page: PageRequest,
): Promise<Row[]> {
  // Timestamps as the API's strings straight from PostgreSQL's text.
  const rows = base.clone().options({ types: ISO_TIMESTAMPS });
  if (!page.key || page.offset === 0) {
    return rows.orderBy(page.orderBy).limit(page.limit).offset(page.offset);
  }
  const keys = base.clone().clearSelect().select(page.key).orderBy(page.orderBy).limit(page.limit).offset(page.offset);
  return rows.whereIn(page.key, keys).orderBy(page.orderBy);
}
