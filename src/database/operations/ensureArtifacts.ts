import { Knex } from 'knex';
import { NewArtifact } from '../ArtifactStore';
import { chunks, INSERT_CHUNK } from '../chunks';
import { ArtifactRow, newArtifactRow } from '../rows/artifacts';
import { now } from '../rows/coerce';

/**
 * Adds the artifacts whose `(processor, id)` is unknown, and reads every
 * one's row: a read, and for those not found a multi-row insert returning
 * their rows (skipping any a replica added meanwhile, which are read
 * again), per {@link INSERT_CHUNK} artifacts, where one at a time took up
 * to three statements each (a walk reaches a parent's new dependencies together).
 * Known artifacts are not inserted at all, so that they use up no
 * sequence values. Returns the rows by {@link artifactKey}, and how many
 * were inserted.
 */
export async function ensureArtifacts(
  db: Knex,
  artifacts: NewArtifact[],
): Promise<{ rows: Map<string, ArtifactRow>; inserted: number }> {
  const distinct = [...new Map(artifacts.map(a => [artifactKey(a.processor, a.id), a])).values()];
  const timestamp = now();
  const rows = new Map<string, ArtifactRow>();
  // One lookup of the unique key per artifact, in one statement: PostgreSQL
  // plans `(processor, id) in ((…), …)`, and even `processor = ? and id in
  // (…)` while the table's statistics lag its growth (a first run's),
  // as every row of the processor read and filtered, which grows with the
  // mirror.
  const read = async (part: NewArtifact[]) => {
    const [first, ...others] = part.map(a => db<ArtifactRow>('artifacts').where({ processor: a.processor, id: a.id }));
    const found: ArtifactRow[] = await (others.length ? first.unionAll(others) : first);
    for (const row of found) rows.set(artifactKey(row.processor, row.id), row);
  };
  let inserted = 0;
  for (const part of chunks(distinct, INSERT_CHUNK)) {
    await read(part);
    const missing = part.filter(a => !rows.has(artifactKey(a.processor, a.id)));
    if (missing.length === 0) continue;
    const added: ArtifactRow[] = await db<ArtifactRow>('artifacts')
      .insert(missing.map(a => newArtifactRow(a, timestamp)))
      .onConflict(['processor', 'id'])
      .ignore()
      .returning('*');
    inserted += added.length;
    for (const row of added) rows.set(artifactKey(row.processor, row.id), row);
    // Only those a replica added meanwhile are read again.
    const raced = missing.filter(a => !rows.has(artifactKey(a.processor, a.id)));
    if (raced.length > 0) await read(raced);
  }
  return { rows, inserted };
}

/** The key of {@link ensureArtifacts}' rows. */
export function artifactKey(processor: string, id: string): string {
  return `${processor}:${id}`;
}
