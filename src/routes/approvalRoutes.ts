import { NotImplementedError } from '@backstage/errors';
import { Request, Response, Router } from 'express';
import { ApprovalService } from '../admission/ApprovalService';
import { parseInput } from '../lib/validation';
import { backpackVersionApprovePermission } from '../permissions/permissions';
import { auditedArtifactWrite } from './auditedAction';
import { callerCredentials, principalRef } from './credentials';
import { approvalBody, versionParams } from './requestSchemas';
import { RouteContext } from './RouteContext';

/**
 * `POST /artifacts/:processor/:id/versions/:version/approve` and `/reject`:
 * a person's word on a version, behind `backpack.version.approve`, audited
 * whether allowed or refused.
 */
export function addApprovalRoutes(router: Router, ctx: RouteContext): void {
  const decide = (word: 'approve' | 'reject') => async (req: Request, res: Response) => {
    const credentials = await callerCredentials(ctx.httpAuth, req);
    const { processor, id, version } = parseInput(versionParams, req.params, { label: 'path' });
    const result = await auditedArtifactWrite(
      ctx,
      {
        eventId: `version-${word}`,
        severityLevel: 'high',
        request: req,
        credentials,
        permission: backpackVersionApprovePermission,
        artifact: { processor, id },
        meta: { version },
      },
      async artifact => {
        const approvals: ApprovalService | undefined = ctx.approvals;
        if (!approvals) throw new NotImplementedError('Approvals are not available in this backend');
        const { comment } = parseInput(approvalBody, req.body ?? {}, { label: 'body' });
        const by = principalRef(credentials);
        const done =
          word === 'approve'
            ? await approvals.approve(artifact.processor, artifact.id, version, by, comment)
            : await approvals.reject(artifact.processor, artifact.id, version, by, comment);
        return { result: done, meta: { decision: done.admission.decision, filesQueued: done.filesQueued } };
      },
    );
    res.json(result);
  };
  router.post('/artifacts/:processor/:id/versions/:version/approve', decide('approve'));
  router.post('/artifacts/:processor/:id/versions/:version/reject', decide('reject'));
}
