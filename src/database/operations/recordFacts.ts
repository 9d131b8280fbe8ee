import { Knex } from 'knex';
import { StoredVersionFacts } from '../AdmissionStore';
import { chunks, INSERT_CHUNK, LOOKUP_CHUNK } from '../chunks';

/** The facts of one artifact's versions, as its discovery described them. */
export interface ArtifactFacts {
  artifactRef: number;
  versions: Array<{ version: string; facts: StoredVersionFacts }>;
}

/**
 * Records the facts of the versions discoveries described, for many
 * artifacts in one transaction, writing only rows that change: the
 * versions and their stored facts are read per hundred artifacts (the
 * `artifact_ref` index), then the changed rows deleted and inserted in
 * chunks. A first run that discovered thousands of artifacts recorded them
 * with a transaction and a read per artifact, which was most of the time
 * and garbage after its walk. Versions not stored are ignored; an artifact
 * given twice counts once (its first entry). Returns rows written.
 */
export async function recordFacts(db: Knex, entries: ArtifactFacts[]): Promise<number> {
  const seen = new Set<number>();
  const wanted = entries.filter(e => e.versions.length > 0 && !seen.has(e.artifactRef) && seen.add(e.artifactRef));
  if (wanted.length === 0) return 0;
  let written = 0;
  await db.transaction(async tx => {
    const inserts: Array<{ version_ref: number; facts: string }> = [];
    const deletes: number[] = [];
    for (const part of chunks(wanted, LOOKUP_CHUNK)) {
      const rows: Array<{ ref: number; artifact_ref: number; version: string; facts: string | null }> = await tx(
        'artifact_versions as v',
      )
        .leftJoin('version_facts as vf', 'vf.version_ref', 'v.ref')
        .whereIn(
          'v.artifact_ref',
          part.map(e => e.artifactRef),
        )
        .select('v.ref', 'v.artifact_ref', 'v.version', 'vf.facts');
      const stored = new Map(rows.map(r => [`${r.artifact_ref}\0${r.version}`, r]));
      for (const { artifactRef, versions } of part) {
        for (const { version, facts } of versions) {
          const row = stored.get(`${artifactRef}\0${version}`);
          if (!row) continue;
          const json = Object.keys(facts).length > 0 ? JSON.stringify(facts) : null;
          if (json === row.facts) continue;
          if (row.facts !== null) deletes.push(row.ref);
          if (json !== null) inserts.push({ version_ref: row.ref, facts: json });
        }
      }
    }
    for (const part of chunks(deletes)) written += await tx('version_facts').whereIn('version_ref', part).delete();
    for (const part of chunks(inserts, INSERT_CHUNK)) {
      await tx('version_facts').insert(part);
      written += part.length;
    }
  });
  return written;
}
