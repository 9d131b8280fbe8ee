import { describeOnEachDatabase, npmArtifact } from './__testUtils__/storeFixtures';
import { updateByRef } from './updateByRef';

jest.setTimeout(60_000);

describeOnEachDatabase('updateByRef', db => {
  it("writes each row's own values in one statement, keeping the columns a row does not set", async () => {
    const artifactRef = await npmArtifact(db.stores, 'pkg', ['1.0.0', '2.0.0', '3.0.0']);
    const rows: Array<{ ref: number; version: string }> = await db
      .knex('artifact_versions')
      .where({ artifact_ref: artifactRef })
      .orderBy('version')
      .select('ref', 'version');
    const [one, two, three] = rows.map(r => r.ref);
    const statements: string[] = [];
    const onQuery = (q: { sql: string }) => statements.push(q.sql);
    db.knex.on('query', onQuery);
    const written = await updateByRef(db.knex, 'artifact_versions', [
      { ref: one, values: { status: 'selected', selection: '["a"]' } },
      { ref: two, values: { status: 'selected', selection: '["b"]' } },
      { ref: three, values: { status: 'denied' } },
    ]).finally(() => db.knex.removeListener('query', onQuery));
    expect(written).toBe(3);
    expect(statements).toHaveLength(1);
    const after = await db
      .knex('artifact_versions')
      .where({ artifact_ref: artifactRef })
      .orderBy('version')
      .select('version', 'status', 'selection');
    expect(after).toEqual([
      { version: '1.0.0', status: 'selected', selection: '["a"]' },
      { version: '2.0.0', status: 'selected', selection: '["b"]' },
      { version: '3.0.0', status: 'denied', selection: '[]' },
    ]);
  });

  it('writes nothing for no rows', async () => {
    expect(await updateByRef(db.knex, 'artifact_versions', [])).toBe(0);
  });
});
