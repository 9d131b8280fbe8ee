import { Knex } from 'knex';
import { AdmissionVerdict } from '../../admission/types';
import { chunks, INSERT_CHUNK, LOOKUP_CHUNK } from '../chunks';
import { now } from '../rows/coerce';
import { versionRefs } from './versionRefs';

/** Versions beyond which the stored verdicts are read in one pass. */
const WHOLE_TABLE_AFTER = 10 * LOOKUP_CHUNK;

/** The verdicts a walk made on one artifact's versions. */
export interface ArtifactVerdicts {
  artifactRef: number;
  verdicts: Array<{ version: string; verdict: AdmissionVerdict }>;
}

/**
 * Records the verdicts of a walk for many artifacts in one transaction,
 * writing only rows that change and keeping approvals: the versions are
 * read by (artifact, version) (see {@link versionRefs}), their stored
 * verdicts by primary key, a few statements per chunk of versions, so that
 * a run whose verdicts did not change writes nothing and reads nothing per
 * artifact. Versions not stored are
 * ignored. Returns rows written.
 */
export async function recordVerdicts(db: Knex, entries: ArtifactVerdicts[]): Promise<number> {
  const wanted = new Map<string, { pair: [number, string]; verdict: AdmissionVerdict }>();
  for (const { artifactRef, verdicts } of entries) {
    for (const { version, verdict } of verdicts) {
      wanted.set(`${artifactRef}\0${version}`, { pair: [artifactRef, version], verdict });
    }
  }
  if (wanted.size === 0) return 0;
  let written = 0;
  await db.transaction(async tx => {
    const refs = await versionRefs(tx, [...wanted.values()].map(w => w.pair));
    const byRef = new Map([...refs].map(([key, ref]) => [ref, wanted.get(key)!.verdict]));
    const inserts: Array<Record<string, unknown>> = [];
    const timestamp = now();
    // A full run records a verdict for most versions that have one: one
    // pass over the table then, rather than chunks PostgreSQL may each
    // answer by scanning it whole.
    const many = byRef.size > WHOLE_TABLE_AFTER;
    for (const part of many ? [[...byRef.keys()]] : chunks([...byRef.keys()], LOOKUP_CHUNK)) {
      const stored = new Map<number, { decision: string; reasons: string; revision: string }>();
      const rows: Array<{ version_ref: number; decision: string; reasons: string; revision: string }> = await tx(
        'version_admissions',
      )
        .modify(q => {
          if (!many) q.whereIn('version_ref', part);
        })
        .select('version_ref', 'decision', 'reasons', 'revision');
      rows.forEach(row => stored.set(row.version_ref, row));
      for (const ref of part) {
        const verdict = byRef.get(ref)!;
        const columns = { decision: verdict.decision, reasons: JSON.stringify(verdict.reasons), revision: verdict.revision };
        const old = stored.get(ref);
        if (!old) {
          inserts.push({ version_ref: ref, ...columns, decided_at: timestamp });
        } else if (old.decision !== columns.decision || old.reasons !== columns.reasons || old.revision !== columns.revision) {
          await tx('version_admissions').where({ version_ref: ref }).update({ ...columns, decided_at: timestamp });
          written += 1;
        }
      }
    }
    for (const part of chunks(inserts, INSERT_CHUNK)) {
      await tx('version_admissions').insert(part);
      written += part.length;
    }
  });
  return written;
}
