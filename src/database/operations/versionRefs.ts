import { Knex } from 'knex';
import { chunks } from '../chunks';

/**
 * The refs of versions named by (artifact ref, version), keyed
 * `<artifactRef>\0<version>`: through `artifact_versions_key`, one
 * statement per {@link chunks} of pairs. Versions not stored are left out.
 * Their other rows (verdicts, facts, files) are then read by version ref,
 * not joined here: a join would have the planner hash a whole table per
 * chunk once the mirror is large.
 */
export async function versionRefs(
  db: Knex,
  pairs: Array<[number, string]>,
): Promise<Map<string, number>> {
  const refs = new Map<string, number>();
  for (const part of chunks(pairs)) {
    const rows: Array<{ ref: number; artifact_ref: number; version: string }> = await db('artifact_versions')
      .whereIn(['artifact_ref', 'version'], part)
      .select('ref', 'artifact_ref', 'version');
    for (const row of rows) refs.set(`${row.artifact_ref}\0${row.version}`, row.ref);
  }
  return refs;
}
