import { Knex } from 'knex';
import { ShortLivedCache } from '../lib/ShortLivedCache';
import { toNumber } from './rows/coerce';
import { Page } from './types';
import { WriteCounter } from './WriteCounter';

/** How long a page total is reused while this process writes nothing. */
const TOTAL_CACHE_MS = 5000;

/**
 * Page totals by query, reused while the stores of one factory write
 * nothing: counting every matching row per request is what made listing
 * pages cost a scan each, and what is written through these stores changes
 * the key. Writes of other replicas show within {@link TOTAL_CACHE_MS}.
 */
export class PageTotals {
  private readonly cache = new ShortLivedCache<number>(TOTAL_CACHE_MS);

  constructor(private readonly writes: WriteCounter) {}

  get(query: Knex.QueryBuilder, count: () => Promise<number>): Promise<number> {
    return this.cache.get(`${this.writes.rows}\0${query.toString()}`, count);
  }
}

/**
 * One page of a query and the total over all pages, both from the same
 * filtered query (so that they agree), each row mapped by `map`. With
 * `totals`, the total may be one counted a moment ago (see {@link PageTotals}).
 */
export async function paginate<Row, Item>(
  base: Knex.QueryBuilder,
  page: { orderBy: Array<{ column: string; order: 'asc' | 'desc' }>; limit: number; offset: number },
  map: (row: Row) => Item,
  totals?: PageTotals,
): Promise<Page<Item>> {
  const count = async () => {
    const [{ total }] = await base.clone().count<Array<{ total: string | number }>>({ total: '*' });
    return toNumber(total);
  };
  const [rows, total] = await Promise.all([
    base.clone().orderBy(page.orderBy).limit(page.limit).offset(page.offset),
    totals ? totals.get(base, count) : count(),
  ]);
  return { items: (rows as Row[]).map(map), total };
}
