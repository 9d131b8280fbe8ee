import { Knex } from 'knex';
import { AdmissionVerdict } from '../../src/admission/types';
import { DatabaseAdmissionStore } from '../../src/database/DatabaseAdmissionStore';
import { DatabaseArtifactStore } from '../../src/database/DatabaseArtifactStore';
import { DatabaseFileStore } from '../../src/database/DatabaseFileStore';
import { DatabaseVersionGraphStore } from '../../src/database/DatabaseVersionGraphStore';
import { WriteCounter } from '../../src/database/WriteCounter';

// The statements of a no-op run's path, as the stores issue them, with
// PostgreSQL's plan of each: the same store code run against the
// benchmark's database (after its runs), its statements captured from knex
// and explained. Nothing is written: the selections passed are the stored
// ones.

/** Markdown: each distinct statement with its plan. */
export async function explainNoopPath(
  db: Knex,
): Promise<{ markdown: string; seqScans: string[]; rowsWritten: number; statements: number }> {
  const captured = new Map<string, { sql: string; bindings: readonly unknown[] }>();
  const onQuery = (q: { sql: string; bindings?: readonly unknown[] }) => {
    if (/^(select|update)/i.test(q.sql) && !captured.has(q.sql)) captured.set(q.sql, { sql: q.sql, bindings: q.bindings ?? [] });
  };
  db.on('query', onQuery);
  const writes = new WriteCounter();
  try {
    const artifacts = await new DatabaseArtifactStore(db, writes).listAllArtifacts();
    const versions = new DatabaseVersionGraphStore(db, writes);
    await versions.getAllVersions();
    const refs = artifacts.map(a => a.ref);
    // Version events: the statuses of the selected and denied versions
    // before recording (and the versions with their reasons after, when the
    // run wrote any); here also the stored selections to record again,
    // since the run's read of the versions has no reasons.
    await versions.listDecidedVersions(refs, ['selected', 'denied'], { reasons: false });
    const decided = await versions.listDecidedVersions(refs, ['selected', 'denied']);
    const entries = artifacts.map(a => ({
      artifactRef: a.ref,
      selections: (decided.get(a.ref) ?? []).filter(v => v.status === 'selected'),
      // A no-op run records no resolution: those the store holds unchanged
      // are left out before recording (src/runs/resolutionsToRecord.ts).
      resolutions: [],
    }));
    await versions.recordClosure(entries, { replace: true });
    // Admission: the stored evidence of versions whose verdict is not
    // cached, and the verdicts recorded again as they are stored.
    const admissions = new DatabaseAdmissionStore(db);
    const selected = entries.flatMap(e => e.selections.map(v => ({ artifactRef: e.artifactRef, version: v.version })));
    await admissions.storedEvidence(selected);
    const stored: Array<{ artifact_ref: number; version: string; decision: string; reasons: string; revision: string }> =
      await db('version_admissions as a')
        .join('artifact_versions as v', 'v.ref', 'a.version_ref')
        .select('v.artifact_ref', 'v.version', 'a.decision', 'a.reasons', 'a.revision');
    const verdicts = new Map<number, Array<{ version: string; verdict: AdmissionVerdict }>>();
    for (const row of stored) {
      const verdict = { decision: row.decision, reasons: JSON.parse(row.reasons), revision: row.revision } as AdmissionVerdict;
      verdicts.set(row.artifact_ref, [...(verdicts.get(row.artifact_ref) ?? []), { version: row.version, verdict }]);
    }
    writes.add(await admissions.recordVerdictsOf([...verdicts].map(([artifactRef, list]) => ({ artifactRef, verdicts: list }))));
    const files = new DatabaseFileStore(db, writes);
    // The recovery of parked files of the upstreams that answered, then the listing.
    await files.resetFiles({ statuses: ['parked'], errorKind: 'transient', artifactRefs: refs });
    await files.listFilesToQueue({ staleAfterMs: 60_000 });
  } finally {
    db.removeListener('query', onQuery);
  }
  const sections: string[] = [];
  const seqScans: string[] = [];
  // knex hands pg's positional ($1) statements to the driver as they are.
  const connection = await db.client.acquireConnection();
  const explain = async (sql: string, bindings: readonly unknown[]): Promise<string[]> => {
    const result = await connection.query(`EXPLAIN ${sql}`, bindings);
    return result.rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']);
  };
  try {
    for (const { sql, bindings } of captured.values()) {
      if (/^update/i.test(sql)) continue;
      const lines = await explain(sql, bindings);
      const seq = lines.filter(l => /Seq Scan on (artifact_|artifacts)/.test(l));
      if (seq.length) seqScans.push(...seq.map(l => l.trim()));
      // Long IN lists shortened to their first few parameters.
      const shown = sql.replace(/((?:\$\d+, ){3})(?:\$\d+, )+(\$\d+)/g, '$1…, $2');
      sections.push('```sql', shown, '```', '', '```', ...lines, '```', '');
    }
  } finally {
    await db.client.releaseConnection(connection);
  }
  return { markdown: sections.join('\n'), seqScans, rowsWritten: writes.rows, statements: captured.size };
}
