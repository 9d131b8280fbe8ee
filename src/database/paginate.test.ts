import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { PageTotals, paginate } from './paginate';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('paginate on %p', databaseId => {
  let knex: Knex;
  const statements: string[] = [];
  const record = (q: { sql: string }) => statements.push(q.sql);

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    await knex.schema.createTable('paged', t => {
      t.integer('n').primary();
      t.string('parity').notNullable();
    });
    await knex('paged').insert(Array.from({ length: 25 }, (_, n) => ({ n, parity: n % 2 ? 'odd' : 'even' })));
    knex.on('query', record);
  });
  afterAll(() => knex.removeListener('query', record));
  beforeEach(() => {
    statements.length = 0;
  });

  const page = (limit: number, offset: number, totals?: PageTotals, parity?: string) =>
    paginate<{ n: number }, number>(
      knex('paged')
        .modify(q => parity && q.where('parity', parity))
        .select('n'),
      { orderBy: [{ column: 'n', order: 'asc' }], limit, offset },
      row => row.n,
      totals,
    );
  const counts = () => statements.filter(s => /count\(/i.test(s)).length;
  const keyed = (limit: number, offset: number, parity?: string) =>
    paginate<{ n: number }, number>(
      knex('paged')
        .modify(q => parity && q.where('parity', parity))
        .select('n', 'parity'),
      { orderBy: [{ column: 'n', order: 'desc' }], limit, offset, key: 'paged.n' },
      row => row.n,
    );

  it('takes the total of a last page from the page itself, without counting', async () => {
    expect(await page(10, 20)).toEqual({ items: [20, 21, 22, 23, 24], total: 25 });
    expect(await page(50, 0, undefined, 'odd')).toMatchObject({ total: 12 });
    expect(counts()).toBe(0);
  });

  it('counts the filtered rows for a full page and for a page past the end', async () => {
    expect(await page(5, 0, undefined, 'even')).toEqual({ items: [0, 2, 4, 6, 8], total: 13 });
    expect(await page(5, 100)).toEqual({ items: [], total: 25 });
    expect(counts()).toBe(2);
  });

  it('reuses a total until the owner reports a change or its version moves', async () => {
    let version = 0;
    const totals = new PageTotals(() => version);
    expect((await page(5, 0, totals)).total).toBe(25);
    expect((await page(5, 5, totals)).total).toBe(25);
    expect(counts()).toBe(1);

    await totals.changing(knex('paged').insert({ n: 25, parity: 'odd' }));
    expect((await page(5, 0, totals)).total).toBe(26);
    version++;
    expect((await page(5, 0, totals)).total).toBe(26);
    expect(counts()).toBe(3);
  });

  it('reads a later page by key as the same rows, in order, as skipping them', async () => {
    for (const parity of [undefined, 'odd']) {
      const all = (await keyed(100, 0, parity)).items;
      for (const offset of [1, 3, 10, 24]) {
        expect((await keyed(4, offset, parity)).items).toEqual(all.slice(offset, offset + 4));
      }
    }
    // The first page directly; the later ones through the page's keys.
    statements.length = 0;
    await keyed(4, 0);
    await keyed(4, 8);
    const [first, later] = statements.filter(s => !/count\(/i.test(s));
    expect(first).not.toMatch(/ in \(select/i);
    expect(later).toMatch(/ in \(select .paged.\..n. from .paged. /i);
  });

  it('never answers a total below what the page shows', async () => {
    const totals = new PageTotals();
    expect((await page(5, 0, totals)).total).toBe(26);
    // Written behind the store's back, as another replica would.
    await knex('paged').insert(Array.from({ length: 10 }, (_, i) => ({ n: 100 + i, parity: 'even' })));
    expect(await page(5, 30, totals)).toEqual({ items: [104, 105, 106, 107, 108], total: 35 });
  });
});
