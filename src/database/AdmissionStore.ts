import { AdmissionVerdict } from '../admission/types';
import { ArtifactVersionStatus, FileIntegrity } from '../types';
import { ArtifactSelector } from './artifactScope';

/** What the upstream said of a version that a later run answered 304 must still know. */
export interface StoredVersionFacts {
  license?: string;
  deprecated?: string;
  yanked?: string | true;
}

/** What is stored of a version that admission checks read. */
export interface StoredVersionEvidence {
  facts: StoredVersionFacts;
  files: Array<{ name: string; size?: number; integrity?: FileIntegrity }>;
}

/** The key of a version in {@link AdmissionStore.storedEvidence}'s answer. */
export function evidenceKey(artifactRef: number, version: string): string {
  return `${artifactRef}\0${version}`;
}

/** A person's word on a version: approved (it may enter) or rejected (it may not). */
export interface VersionApproval {
  decision: 'approved' | 'rejected';
  by: string;
  at: string;
  comment?: string;
}

/** The admission record of one version. */
export interface StoredAdmission extends Omit<AdmissionVerdict, 'revision'> {
  version: string;
  /** The version's status (`selected`, `pending-approval`, `denied`, …). */
  status: ArtifactVersionStatus;
  revision: string;
  decidedAt: string;
  facts?: StoredVersionFacts;
  approval?: VersionApproval;
}

/**
 * The admission verdicts of versions and the approvals people gave them.
 * Implementations hide knex.
 */
export interface AdmissionStore {
  /** Records the verdicts of a run, writing only rows that change; keeps approvals. Returns rows written. */
  recordVerdicts(artifactRef: number, verdicts: Array<{ version: string; verdict: AdmissionVerdict }>): Promise<number>;
  /** {@link AdmissionStore.recordVerdicts} for many artifacts, in one transaction and a few statements per chunk of versions. */
  recordVerdictsOf(
    entries: Array<{
      artifactRef: number;
      /** `versionRef`: the version's row, when the caller read it; then not looked up again. */
      verdicts: Array<{ version: string; verdict: AdmissionVerdict; versionRef?: number }>;
    }>,
  ): Promise<number>;
  /**
   * Records the facts of every version a discovery described (not one
   * answered 304), writing only rows that change. Returns rows written.
   */
  recordFacts(artifactRef: number, versions: Array<{ version: string; facts: StoredVersionFacts }>): Promise<number>;
  /** {@link AdmissionStore.recordFacts} for many artifacts, in one transaction and a few statements per hundred artifacts. */
  recordFactsOf(
    entries: Array<{ artifactRef: number; versions: Array<{ version: string; facts: StoredVersionFacts }> }>,
  ): Promise<number>;
  /** The records of an artifact's versions, by version. */
  listAdmissions(artifact: ArtifactSelector, versions?: string[]): Promise<Map<string, StoredAdmission>>;
  /**
   * Sets a version's approval and the verdict it makes, in one transaction
   * with the version's status and reasons; false when the version is unknown.
   */
  setApproval(
    artifactRef: number,
    version: string,
    change: {
      approval: VersionApproval;
      verdict: AdmissionVerdict;
      status: ArtifactVersionStatus;
      /** A reason to add to the version's selection reasons (a rejection's). */
      denial?: string;
    },
  ): Promise<boolean>;
  /** Every approval or rejection given, by `processor:id` and version (they are few). */
  listApprovals(): Promise<Map<string, Map<string, VersionApproval>>>;
  /**
   * The stored facts and files of an artifact's versions, by version, for
   * runs whose discovery was answered 304.
   */
  storedFacts(processor: string, id: string): Promise<Map<string, StoredVersionEvidence>>;
  /**
   * The stored facts and files of the versions asked for (of any number of
   * artifacts), keyed `<artifactRef>\0<version>`, in one statement per
   * chunk of versions: what a run answered 304 reads for the verdicts it
   * does not have cached.
   */
  storedEvidence(versions: Array<{ artifactRef: number; version: string }>): Promise<Map<string, StoredVersionEvidence>>;
}
