import { Knex } from 'knex';
import { toNumber } from './rows/coerce';
import { Page } from './types';

/**
 * One page of a query and the total over all pages, both from the same
 * filtered query (so that they agree), each row mapped by `map`.
 */
export async function paginate<Row, Item>(
  base: Knex.QueryBuilder,
  page: { orderBy: Array<{ column: string; order: 'asc' | 'desc' }>; limit: number; offset: number },
  map: (row: Row) => Item,
): Promise<Page<Item>> {
  const [rows, [{ total }]] = await Promise.all([
    base.clone().orderBy(page.orderBy).limit(page.limit).offset(page.offset),
    base.clone().count<Array<{ total: string | number }>>({ total: '*' }),
  ]);
  return { items: (rows as Row[]).map(map), total: toNumber(total) };
}
