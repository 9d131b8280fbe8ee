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
  verdicts: Array<{
    version: string;
    verdict: AdmissionVerdict;
    /**
     * The version's row, when the caller read it (a run answered 304): it
     * is not looked up again where a stored verdict shows the row is still
     * there.
     */
    versionRef?: number;
  }>;
}

/** A verdict to record and the version it is of. */
interface Wanted {
  pair: [number, string];
  verdict: AdmissionVerdict;
  versionRef?: number;
}

/**
 * Records the verdicts of a walk for many artifacts in one transaction,
 * writing only rows that change and keeping approvals: the versions are
 * read by (artifact, version) (see {@link versionRefs}) unless the caller
 * knows their rows, their stored verdicts by primary key, a few statements
 * per chunk of versions, so that a run whose verdicts did not change writes
 * nothing and reads nothing per artifact. Versions not stored are ignored.
 * Returns rows written.
 */
export async function recordVerdicts(db: Knex, entries: ArtifactVerdicts[]): Promise<number> {
  const wanted: Wanted[] = entries.flatMap(({ artifactRef, verdicts }) =>
    verdicts.map(({ version, verdict, versionRef }) => ({ pair: [artifactRef, version] as [number, string], verdict, versionRef })),
  );
  if (wanted.length === 0) return 0;
  let written = 0;
  await db.transaction(async tx => {
    const inserts: Array<Record<string, unknown>> = [];
    const timestamp = now();
    const columnsOf = (verdict: AdmissionVerdict) => ({
      decision: verdict.decision,
      reasons: JSON.stringify(verdict.reasons),
      revision: verdict.revision,
    });
    /** Updates the stored verdicts that changed; hands on the versions that have none. */
    const compare = async (byRef: Map<number, Wanted>, unrecorded: (ref: number, w: Wanted) => Promise<void> | void) => {
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
          const old = stored.get(ref);
          if (!old) {
            await unrecorded(ref, byRef.get(ref)!);
            continue;
          }
          const columns = columnsOf(byRef.get(ref)!.verdict);
          if (old.decision !== columns.decision || old.reasons !== columns.reasons || old.revision !== columns.revision) {
            await tx('version_admissions').where({ version_ref: ref }).update({ ...columns, decided_at: timestamp });
            written += 1;
          }
        }
      }
    };
    // Versions whose row the caller knows: a stored verdict (deleted with
    // its version) shows the row is still there. The others, and those of
    // them without a verdict, are looked up, so that a version deleted
    // meanwhile is left out rather than given one.
    const lookUp: Wanted[] = wanted.filter(w => w.versionRef === undefined);
    await compare(new Map(wanted.flatMap(w => (w.versionRef === undefined ? [] : [[w.versionRef, w]]))), (_ref, w) => {
      lookUp.push(w);
    });
    const refs = await versionRefs(tx, lookUp.map(w => w.pair));
    const looked = new Map(lookUp.flatMap(w => {
      const ref = refs.get(`${w.pair[0]}\0${w.pair[1]}`);
      return ref === undefined ? [] : [[ref, w] as [number, Wanted]];
    }));
    // Inserted a chunk at a time as they are found, not gathered first: a
    // first run has a new verdict for each of its thousands of versions.
    const insert = async () => {
      const part = inserts.splice(0);
      if (part.length === 0) return;
      await tx('version_admissions').insert(part);
      written += part.length;
    };
    await compare(looked, async (ref, w) => {
      inserts.push({ version_ref: ref, ...columnsOf(w.verdict), decided_at: timestamp });
      if (inserts.length >= INSERT_CHUNK) await insert();
    });
    await insert();
  });
  return written;
}
