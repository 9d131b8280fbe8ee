import { AdmissionDecision, AdmissionReason } from '../../admission/types';
import { ArtifactVersion } from '../../types';
import type { VersionApproval } from '../AdmissionStore';
import { fromJson, optionalIso, toIso } from './coerce';

/** The columns of a row of `version_admissions` that versions show. */
export interface VersionAdmissionRow {
  decision: string | null;
  reasons: string | null;
  decided_at: string | Date | null;
  approval: string | null;
  approved_by: string | null;
  approved_at: string | Date | null;
  approval_comment: string | null;
}

/**
 * The columns {@link toVersionAdmission} reads, of `version_admissions as a`
 * (left joined to a version: all null when it was never checked).
 */
export const VERSION_ADMISSION_COLUMNS = [
  'a.decision',
  'a.reasons',
  'a.decided_at',
  'a.approval',
  'a.approved_by',
  'a.approved_at',
  'a.approval_comment',
];

/** A person's approval or rejection of a version, if one was given. */
export function toApproval(row: VersionAdmissionRow): VersionApproval | undefined {
  if (row.approval !== 'approved' && row.approval !== 'rejected') return undefined;
  return {
    decision: row.approval,
    by: row.approved_by ?? '',
    at: optionalIso(row.approved_at) ?? '',
    ...(row.approval_comment ? { comment: row.approval_comment } : {}),
  };
}

/** The verdict on a version as the API shows it; undefined when it was never checked. */
export function toVersionAdmission(row: VersionAdmissionRow): ArtifactVersion['admission'] {
  if (row.decision === null || row.decided_at === null) return undefined;
  const approval = toApproval(row);
  return {
    decision: row.decision as AdmissionDecision,
    reasons: fromJson<AdmissionReason[]>(row.reasons, []),
    decidedAt: toIso(row.decided_at),
    ...(approval ? { approval } : {}),
  };
}
