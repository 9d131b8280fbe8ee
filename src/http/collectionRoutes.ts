import { Router } from 'express';
import { backpackFileRetryPermission } from '../permissions/permissions';
import { parseInput } from '../services/validation';
import { auditedAction } from './auditedAction';
import { callerCredentials } from './credentials';
import { artifactParams } from './requestSchemas';
import { RouteContext } from './RouteContext';

/** Routes of collection: retrying failed files and the collection statistics. */
export function addCollectionRoutes(router: Router, ctx: RouteContext): void {
  const { httpAuth, auditor, authorizer, collection } = ctx;

  router.post('/artifacts/:processor/:id/retry', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const { processor, id } = parseInput(artifactParams, req.params, { label: 'path' });
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
          { processor, id },
        );
        const count = await collection.retry(artifact.processor, artifact.id);
        return { result: count, meta: { requeued: count } };
      },
    );
    res.status(202).json({ requeued });
  });

  router.get('/stats', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    // Counts of what the caller may read; the queue's depth, which counts
    // every artifact's jobs, only for callers who may read everything.
    const { scope } = await authorizer.readAccess(credentials);
    res.json(await collection.stats(scope));
  });
}
