/**
 * Approvals: a person's word on a version. Approving lets a version that
 * waits (`pending-approval`) in, or takes back a rejection, and queues its
 * files at once; rejecting denies a version whatever the checks said, so it
 * is never collected, served or exported. The word is kept with the
 * verdict, and later runs apply it on top of the checks' answer, which a
 * changed policy may still turn into a denial.
 */
import { ConflictError, NotFoundError } from '@backstage/errors';
import { StoredAdmission } from '../database/AdmissionStore';
import { BackpackStores } from '../database/createBackpackStores';
import { BackpackEvents } from '../events/BackpackEvents';
import { AdmissionVerdict } from './types';
import { withApproval } from './walkAdmission';

/** What an approval or rejection did. */
export interface ApprovalResult {
  processor: string;
  id: string;
  version: string;
  admission: StoredAdmission;
  /** Files queued for collection (approvals). */
  filesQueued: number;
}

/** Options of {@link ApprovalService}. */
export interface ApprovalServiceOptions {
  stores: Pick<BackpackStores, 'artifacts' | 'admissions'>;
  /** Queues the artifact's pending files of selected versions. */
  enqueue(artifactRef: number): Promise<number>;
  now?: () => Date;
  /** Told of every approval (`approved`) and rejection (`denied`). */
  events?: BackpackEvents;
}

export class ApprovalService {
  constructor(private readonly options: ApprovalServiceOptions) {}

  /** Approves a version that waits for approval, or was rejected; its files are queued. */
  approve(processor: string, id: string, version: string, by: string, comment?: string): Promise<ApprovalResult> {
    return this.decide(processor, id, version, { decision: 'approved', by, comment });
  }

  /** Rejects a version: it is denied from now on. */
  reject(processor: string, id: string, version: string, by: string, comment?: string): Promise<ApprovalResult> {
    return this.decide(processor, id, version, { decision: 'rejected', by, comment });
  }

  private async decide(
    processor: string,
    id: string,
    version: string,
    word: { decision: 'approved' | 'rejected'; by: string; comment?: string },
  ): Promise<ApprovalResult> {
    const { stores } = this.options;
    const artifact = await stores.artifacts.getArtifact(processor, id);
    if (!artifact) throw new NotFoundError(`No artifact ${processor}:${id}`);
    const record = (await stores.admissions.listAdmissions(artifact.ref, [version])).get(version);
    if (!record) {
      throw new NotFoundError(`Version ${version} of ${processor}:${id} has not been through admission; a run checks it first`);
    }
    const rejectedBefore = record.approval?.decision === 'rejected';
    // The checks' own answer, without an earlier approval or rejection.
    const checks: AdmissionVerdict = record.reasons.some(r => r.check === 'approval')
      ? { decision: rejectedBefore ? 'pending-approval' : 'allow', reasons: [], revision: record.revision }
      : { decision: record.decision, reasons: record.reasons, revision: record.revision };
    if (checks.decision === 'deny') {
      throw new ConflictError(
        `Version ${version} of ${processor}:${id} is denied by policy (${record.reasons
          .map(r => `${r.check}: ${r.reason}`)
          .join('; ')}); change the policy rather than approve it`,
      );
    }
    if (word.decision === 'approved' && checks.decision !== 'pending-approval' && !rejectedBefore) {
      throw new ConflictError(`Version ${version} of ${processor}:${id} does not wait for approval (it is ${record.status})`);
    }
    const approval = {
      decision: word.decision,
      by: word.by,
      at: (this.options.now?.() ?? new Date()).toISOString(),
      ...(word.comment ? { comment: word.comment } : {}),
    };
    const verdict = withApproval(checks, approval);
    const admitted = verdict.decision === 'allow';
    // An approval selects nothing no root wants: a version not selected now stays as it is.
    const selectedStatus = record.status === 'discovered' ? 'discovered' : 'selected';
    const denial = admitted ? undefined : verdict.reasons.map(r => `${r.check}: ${r.reason}`).join('; ');
    await stores.admissions.setApproval(artifact.ref, version, {
      approval,
      verdict,
      status: admitted ? selectedStatus : 'denied',
      ...(denial !== undefined ? { denial } : {}),
    });
    this.options.events?.versionsDecided({
      decision: admitted ? 'approved' : 'denied',
      artifact: { processor: artifact.processor, id: artifact.id },
      versions: [{ version, ...(denial !== undefined ? { reason: denial } : {}) }],
      decidedBy: word.by,
    });
    const filesQueued = admitted ? await this.options.enqueue(artifact.ref) : 0;
    const updated = (await stores.admissions.listAdmissions(artifact.ref, [version])).get(version)!;
    return { processor, id, version, admission: updated, filesQueued };
  }
}
