import { describeOnEachDatabase, npmArtifact } from '../__testUtils__/storeFixtures';
import { ArtifactFacts, recordFacts } from './recordFacts';

jest.setTimeout(60_000);

describeOnEachDatabase('recordFacts', db => {
  let a: number;
  let b: number;

  beforeEach(async () => {
    a = await npmArtifact(db.stores, 'a', ['1.0.0', '2.0.0']);
    b = await npmArtifact(db.stores, 'b', ['3.0.0']);
  });

  const factsOf = async (processor: string, id: string) =>
    Object.fromEntries([...(await db.stores.admissions.storedFacts(processor, id))].map(([v, e]) => [v, e.facts]));

  it('records the facts of many artifacts at once and writes nothing when they did not change', async () => {
    const entries: ArtifactFacts[] = [
      {
        artifactRef: a,
        versions: [
          { version: '1.0.0', facts: { license: 'MIT' } },
          { version: '2.0.0', facts: { license: 'ISC', deprecated: 'use 3' } },
        ],
      },
      // A version that is not stored is left out.
      { artifactRef: b, versions: [{ version: '3.0.0', facts: { yanked: 'withdrawn' } }, { version: '9.9.9', facts: { license: 'MIT' } }] },
    ];
    expect(await recordFacts(db.knex, entries)).toBe(3);
    expect(await factsOf('npm', 'a')).toEqual({ '1.0.0': { license: 'MIT' }, '2.0.0': { license: 'ISC', deprecated: 'use 3' } });
    expect(await factsOf('npm', 'b')).toEqual({ '3.0.0': { yanked: 'withdrawn' } });
    expect(await recordFacts(db.knex, entries)).toBe(0);
  });

  it('replaces changed facts, drops facts that are gone, and counts an artifact given twice once', async () => {
    await recordFacts(db.knex, [
      { artifactRef: a, versions: [{ version: '1.0.0', facts: { license: 'MIT' } }, { version: '2.0.0', facts: { license: 'MIT' } }] },
    ]);
    const written = await recordFacts(db.knex, [
      { artifactRef: a, versions: [{ version: '1.0.0', facts: { license: 'Apache-2.0' } }, { version: '2.0.0', facts: {} }] },
      { artifactRef: a, versions: [{ version: '1.0.0', facts: { license: 'GPL-3.0' } }] },
    ]);
    // 1.0.0: one row deleted and one inserted; 2.0.0: one deleted.
    expect(written).toBe(3);
    expect(await factsOf('npm', 'a')).toEqual({ '1.0.0': { license: 'Apache-2.0' }, '2.0.0': {} });
  });

  it('records the facts of more artifacts than one lookup reads', async () => {
    const refs = [];
    for (let i = 0; i < 120; i++) refs.push(await npmArtifact(db.stores, `many-${i}`, ['1.0.0']));
    const entries = refs.map(artifactRef => ({ artifactRef, versions: [{ version: '1.0.0', facts: { license: 'MIT' } }] }));
    expect(await recordFacts(db.knex, entries)).toBe(120);
    expect(await factsOf('npm', 'many-119')).toEqual({ '1.0.0': { license: 'MIT' } });
    expect(await recordFacts(db.knex, entries)).toBe(0);
  });
});
