import { describeOnEachDatabase, rootArtifact as base } from '../__testUtils__/storeFixtures';
import { artifactKey, ensureArtifacts } from './ensureArtifacts';

jest.setTimeout(60_000);

describeOnEachDatabase('ensureArtifacts', db => {
  const dependency = (id: string) => ({ ...base, id, root: false });

  it('adds the unknown artifacts, keeps the known ones as they are, and counts only what it added', async () => {
    const known = await db.stores.artifacts.createArtifact({ ...base, id: 'known', filter: '1.0.0', filterType: 'semver' });
    const { rows, inserted } = await ensureArtifacts(db.knex, [
      dependency('known'),
      dependency('new-a'),
      dependency('new-b'),
      dependency('new-a'),
    ]);
    expect(inserted).toBe(2);
    expect([...rows.keys()].sort()).toEqual(['npm:known', 'npm:new-a', 'npm:new-b']);
    // The known root is not overwritten by the dependency's settings.
    expect(rows.get(artifactKey('npm', 'known'))).toMatchObject({ ref: known.ref, filter: '1.0.0' });
    expect(rows.get(artifactKey('npm', 'new-a'))).toMatchObject({ status: 'pending', filter: null });
    expect(Number((await db.knex('artifacts').count({ n: '*' }))[0].n)).toBe(3);
  });

  it('gives the same rows when asked again, inserting nothing', async () => {
    const first = await ensureArtifacts(db.knex, [dependency('a'), dependency('b')]);
    const again = await ensureArtifacts(db.knex, [dependency('b'), dependency('a')]);
    expect(again.inserted).toBe(0);
    expect(again.rows.get('npm:a')!.ref).toBe(first.rows.get('npm:a')!.ref);
    expect(again.rows.get('npm:b')!.ref).toBe(first.rows.get('npm:b')!.ref);
  });

  it('adds many in a few statements', async () => {
    const statements: string[] = [];
    const onQuery = (q: { sql: string }) => statements.push(q.sql);
    db.knex.on('query', onQuery);
    try {
      const { inserted } = await ensureArtifacts(
        db.knex,
        Array.from({ length: 150 }, (_, i) => dependency(`pkg-${i}`)),
      );
      expect(inserted).toBe(150);
    } finally {
      db.knex.removeListener('query', onQuery);
    }
    // A read, and the insert of those missing returning their rows.
    expect(statements).toHaveLength(2);
  });

  it('gives both of two callers adding the same artifacts at once the same rows, added once', async () => {
    const asked = Array.from({ length: 20 }, (_, i) => dependency(`pkg-${i}`));
    const [a, b] = await Promise.all([ensureArtifacts(db.knex, asked), ensureArtifacts(db.knex, [...asked].reverse())]);
    expect(a.inserted + b.inserted).toBe(20);
    for (const { processor, id } of asked) {
      expect(b.rows.get(artifactKey(processor, id))!.ref).toBe(a.rows.get(artifactKey(processor, id))!.ref);
    }
  });
});
