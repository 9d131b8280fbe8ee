import { NotFoundError } from '@backstage/errors';
import { describeOnEachDatabase, rootArtifact as base } from '../__testUtils__/storeFixtures';
import { recordDiscoveries } from './recordDiscoveries';

jest.setTimeout(60_000);

describeOnEachDatabase('recordDiscoveries', db => {
  const create = async (id: string) => (await db.stores.artifacts.createArtifact({ ...base, id })).ref;

  it("records each artifact's own outcome in one write, and what did not change not at all", async () => {
    const [a, b, c] = [await create('a'), await create('b'), await create('c')];
    const ok = { runId: 'run-1', status: 'ok' as const };
    await recordDiscoveries(db.knex, [{ ref: c, outcome: ok }]);
    const statements: string[] = [];
    const onQuery = (q: { sql: string }) => statements.push(q.sql);
    db.knex.on('query', onQuery);
    const written = await recordDiscoveries(db.knex, [
      { ref: a, outcome: { ...ok, runId: 'run-2', validators: { etag: '"a"' }, tags: { latest: '1.0.0' }, warnings: ['w'] } },
      { ref: b, outcome: { ...ok, runId: 'run-2', status: 'error', error: 'boom' } },
      { ref: c, outcome: ok },
    ]).finally(() => db.knex.removeListener('query', onQuery));
    expect(written).toBe(2);
    expect(statements.filter(s => /^update/i.test(s))).toHaveLength(1);

    const [sa, sb, sc] = await Promise.all(['a', 'b', 'c'].map(id => db.stores.artifacts.getArtifact('npm', id)));
    expect(sa).toMatchObject({ status: 'ok', lastRunId: 'run-2', validators: { etag: '"a"' }, tags: { latest: '1.0.0' }, warnings: ['w'] });
    expect(sa!.lastError).toBeUndefined();
    expect(sb).toMatchObject({ status: 'error', lastError: 'boom', lastRunId: 'run-2' });
    expect(sb!.validators).toBeUndefined();
    // Unchanged since run-1: not rewritten.
    expect(sc).toMatchObject({ status: 'ok', lastRunId: 'run-1' });
  });

  it('ends an artifact recorded twice as if recorded one after the other, and skips one that is gone', async () => {
    const a = await create('a');
    const written = await recordDiscoveries(db.knex, [
      { ref: a, outcome: { runId: 'r', status: 'error', error: 'first', validators: { etag: '"1"' } } },
      { ref: a, outcome: { runId: 'r', status: 'ok' } },
      { ref: a + 1000, outcome: { runId: 'r', status: 'ok' } },
    ]);
    expect(written).toBe(1);
    const stored = await db.stores.artifacts.getArtifact('npm', 'a');
    expect(stored).toMatchObject({ status: 'ok', validators: { etag: '"1"' } });
    expect(stored!.lastError).toBeUndefined();
  });

  it('with mustExist fails before writing anything when an artifact is gone', async () => {
    const a = await create('a');
    await expect(
      recordDiscoveries(
        db.knex,
        [
          { ref: a, outcome: { runId: 'r', status: 'ok' } },
          { ref: a + 1000, outcome: { runId: 'r', status: 'ok' } },
        ],
        { mustExist: true },
      ),
    ).rejects.toThrow(NotFoundError);
    expect(await db.stores.artifacts.getArtifact('npm', 'a')).toMatchObject({ status: 'pending' });
  });
});
