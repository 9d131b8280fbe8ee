import { Knex } from 'knex';
import { AdmissionReason, AdmissionVerdict } from '../admission/types';
import { ArtifactSelector, artifactRefOf } from './artifactScope';
import { chunks } from './chunks';
import {
  AdmissionStore,
  StoredAdmission,
  StoredVersionEvidence,
  StoredVersionFacts,
  VersionApproval,
} from './AdmissionStore';
import { toApproval } from './rows/admissions';
import { fromJson, toIso } from './rows/coerce';
import { ArtifactFacts, recordFacts } from './operations/recordFacts';
import { ArtifactVerdicts, recordVerdicts } from './operations/recordVerdicts';
import { addEvidence, EvidenceRow, storedEvidence } from './operations/storedEvidence';

interface AdmissionRow {
  version_ref: number;
  version: string;
  status: string;
  decision: string;
  reasons: string;
  revision: string;
  facts: string | null;
  decided_at: string | Date;
  approval: string | null;
  approved_by: string | null;
  approved_at: string | Date | null;
  approval_comment: string | null;
}

function toAdmission(row: AdmissionRow): StoredAdmission {
  const facts = fromJson<StoredVersionFacts | null>(row.facts, null);
  const approval = toApproval(row);
  return {
    version: row.version,
    status: row.status as StoredAdmission['status'],
    decision: row.decision as StoredAdmission['decision'],
    reasons: fromJson<AdmissionReason[]>(row.reasons, []),
    revision: row.revision,
    decidedAt: toIso(row.decided_at),
    ...(facts && Object.keys(facts).length > 0 ? { facts } : {}),
    ...(approval ? { approval } : {}),
  };
}

const COLUMNS = [
  'a.version_ref',
  'v.version',
  'v.status',
  'a.decision',
  'a.reasons',
  'a.revision',
  'vf.facts',
  'a.decided_at',
  'a.approval',
  'a.approved_by',
  'a.approved_at',
  'a.approval_comment',
];

/** The knex implementation of {@link AdmissionStore}. */
export class DatabaseAdmissionStore implements AdmissionStore {
  constructor(private readonly db: Knex) {}

  recordVerdicts(
    artifactRef: number,
    verdicts: Array<{ version: string; verdict: AdmissionVerdict }>,
  ): Promise<number> {
    return recordVerdicts(this.db, [{ artifactRef, verdicts }]);
  }

  recordVerdictsOf(entries: ArtifactVerdicts[]): Promise<number> {
    return recordVerdicts(this.db, entries);
  }

  async listAdmissions(artifact: ArtifactSelector, versions?: string[]): Promise<Map<string, StoredAdmission>> {
    const result = new Map<string, StoredAdmission>();
    const read = async (part?: string[]) => {
      const query = this.db('version_admissions as a')
        .join('artifact_versions as v', 'v.ref', 'a.version_ref')
        .leftJoin('version_facts as vf', 'vf.version_ref', 'a.version_ref')
        .where('v.artifact_ref', artifactRefOf(this.db, artifact));
      if (part) query.whereIn('v.version', part);
      const rows: AdmissionRow[] = await query.select(COLUMNS);
      rows.forEach(r => result.set(r.version, toAdmission(r)));
    };
    if (!versions) await read();
    else for (const part of chunks(versions)) await read(part);
    return result;
  }

  async setApproval(
    artifactRef: number,
    version: string,
    change: Parameters<AdmissionStore['setApproval']>[2],
  ): Promise<boolean> {
    const { approval, verdict, status, denial } = change;
    return this.db.transaction(async tx => {
      const row = await tx('artifact_versions')
        .where({ artifact_ref: artifactRef, version })
        .forUpdate()
        .first('ref', 'selection');
      if (!row) return false;
      const columns = {
        decision: verdict.decision,
        reasons: JSON.stringify(verdict.reasons),
        revision: verdict.revision,
        decided_at: approval.at,
        approval: approval.decision,
        approved_by: approval.by,
        approved_at: approval.at,
        approval_comment: approval.comment ?? null,
      };
      const updated = await tx('version_admissions').where({ version_ref: row.ref }).update(columns);
      if (updated === 0) await tx('version_admissions').insert({ version_ref: row.ref, ...columns });
      // Earlier denials go with an approval; a rejection adds its own.
      const selection = fromJson<Array<{ type: string }>>(row.selection, []).filter(r => r.type !== 'denied');
      if (denial) selection.push({ type: 'denied', reason: denial } as { type: string });
      await tx('artifact_versions')
        .where({ ref: row.ref })
        .update({ status, selection: JSON.stringify(selection) });
      return true;
    });
  }

  async listApprovals(): Promise<Map<string, Map<string, VersionApproval>>> {
    const rows: Array<AdmissionRow & { processor: string; artifact_id: string }> = await this.db(
      'version_admissions as a',
    )
      .join('artifact_versions as v', 'v.ref', 'a.version_ref')
      .join('artifacts as r', 'r.ref', 'v.artifact_ref')
      .leftJoin('version_facts as vf', 'vf.version_ref', 'a.version_ref')
      .whereNotNull('a.approval')
      .select([...COLUMNS, 'r.processor', 'r.id as artifact_id']);
    const result = new Map<string, Map<string, VersionApproval>>();
    for (const row of rows) {
      const approval = toApproval(row);
      if (!approval) continue;
      const key = `${row.processor}:${row.artifact_id}`;
      const versions = result.get(key) ?? new Map<string, VersionApproval>();
      versions.set(row.version, approval);
      result.set(key, versions);
    }
    return result;
  }

  async storedFacts(processor: string, id: string): Promise<Map<string, StoredVersionEvidence>> {
    const rows: Array<EvidenceRow & { version: string }> = await this.db('artifacts as r')
      .join('artifact_versions as v', 'v.artifact_ref', 'r.ref')
      .leftJoin('version_facts as vf', 'vf.version_ref', 'v.ref')
      .leftJoin('artifact_files as f', 'f.version_ref', 'v.ref')
      .where({ 'r.processor': processor, 'r.id': id })
      .select('v.version', 'vf.facts', 'f.name', 'f.size', 'f.integrity_algorithm', 'f.integrity_digest');
    const result = new Map<string, StoredVersionEvidence>();
    for (const row of rows) addEvidence(result, row.version, row);
    return result;
  }

  storedEvidence(versions: Array<{ artifactRef: number; version: string }>): Promise<Map<string, StoredVersionEvidence>> {
    return storedEvidence(this.db, versions);
  }

  recordFacts(artifactRef: number, versions: Array<{ version: string; facts: StoredVersionFacts }>): Promise<number> {
    return recordFacts(this.db, [{ artifactRef, versions }]);
  }

  recordFactsOf(entries: ArtifactFacts[]): Promise<number> {
    return recordFacts(this.db, entries);
  }
}
