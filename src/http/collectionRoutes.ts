import { Router } from 'express';
import { backpackFileRetryPermission } from '../permissions/permissions';
import { auditedAction } from './auditedAction';
import { callerCredentials } from './credentials';
import { RouteContext } from './RouteContext';

/** Routes of collection: retrying failed files and the collection statistics. */
export function addCollectionRoutes(router: Router, ctx: RouteContext): void {
  const { httpAuth, auditor, authorizer, artifacts, collection } = ctx;

  router.post('/artifacts/:processor/:id/retry', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const { processor, id } = req.params;
    const requeued = await auditedAction(
      auditor,
      {
        eventId: 'file-retry',
        severityLevel: 'high',
        request: req,
        meta: { processor, id },
      },
      async () => {
        const artifact = await authorizer.authorizeArtifact(
          backpackFileRetryPermission,
          credentials,
          () => artifacts.get(processor, id),
        );
        const count = await collection.retry(artifact.processor, artifact.id);
        return { result: count, meta: { requeued: count } };
      },
    );
    res.status(202).json({ requeued });
  });

  router.get('/stats', async (req, res) => {
    await callerCredentials(httpAuth, req);
    res.json(await collection.stats());
  });
}
