import { Knex } from 'knex';
import { AdmissionVerdict } from '../../admission/types';
import { chunks, INSERT_CHUNK } from '../chunks';
import { now } from '../rows/coerce';

/** The verdicts a walk made on one artifact's versions. */
export interface ArtifactVerdicts {
  artifactRef: number;
  verdicts: Array<{ version: string; verdict: AdmissionVerdict }>;
}

interface StoredVerdictRow {
  ref: number;
  artifact_ref: number;
  version: string;
  decision: string | null;
  reasons: string | null;
  revision: string | null;
}

/**
 * Records the verdicts of a walk for many artifacts in one transaction,
 * writing only rows that change and keeping approvals: the versions with
 * their stored verdicts are read by (artifact, version) through
 * `artifact_versions_key` and the verdicts' primary key, a few statements
 * per {@link chunks} of versions, so that a run whose verdicts did not
 * change reads and writes nothing per artifact. Versions not stored are
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
    const inserts: Array<Record<string, unknown>> = [];
    const timestamp = now();
    for (const part of chunks([...wanted.values()].map(w => w.pair))) {
      const rows: StoredVerdictRow[] = await tx('artifact_versions as v')
        .leftJoin('version_admissions as a', 'a.version_ref', 'v.ref')
        .whereIn(['v.artifact_ref', 'v.version'], part)
        .select('v.ref', 'v.artifact_ref', 'v.version', 'a.decision', 'a.reasons', 'a.revision');
      for (const row of rows) {
        const { verdict } = wanted.get(`${row.artifact_ref}\0${row.version}`)!;
        const columns = {
          decision: verdict.decision,
          reasons: JSON.stringify(verdict.reasons),
          revision: verdict.revision,
        };
        if (row.decision === null) {
          inserts.push({ version_ref: row.ref, ...columns, decided_at: timestamp });
        } else if (
          row.decision !== columns.decision ||
          row.reasons !== columns.reasons ||
          row.revision !== columns.revision
        ) {
          await tx('version_admissions').where({ version_ref: row.ref }).update({ ...columns, decided_at: timestamp });
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
