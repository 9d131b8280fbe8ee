import { Router } from 'express';
import { backpackFileRetryPermission } from '../permissions/permissions';
import { parseInput } from '../lib/validation';
import { auditedAction, auditedArtifactWrite } from './auditedAction';
import { callerCredentials } from './credentials';
import { artifactParams, retryFilesBody } from './requestSchemas';
import { RouteContext } from './RouteContext';

/** Routes of collection: retrying failed files and the collection statistics. */
export function addCollectionRoutes(router: Router, ctx: RouteContext): void {
  const { httpAuth, auditor, authorizer, artifacts, collection } = ctx;

  router.post('/artifacts/:processor/:id/retry', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const { processor, id } = parseInput(artifactParams, req.params, { label: 'path' });
    const requeued = await auditedArtifactWrite(
      ctx,
      {
        eventId: 'file-retry',
        severityLevel: 'high',
        request: req,
        credentials,
        permission: backpackFileRetryPermission,
        artifact: { processor, id },
      },
      async artifact => {
        const count = await collection.retry(artifact.processor, artifact.id);
        return { result: count, meta: { requeued: count } };
      },
    );
    res.status(202).json({ requeued });
  });

  router.post('/retry', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const requeued = await auditedAction(
      auditor,
      { eventId: 'file-retry', severityLevel: 'high', request: req },
      async () => {
        // Conditional decisions narrow the retry to the artifacts the caller
        // may both read and retry.
        const filter = await authorizer.bulkFilter(backpackFileRetryPermission, credentials);
        const body = parseInput(retryFilesBody, req.body ?? {}, { label: 'body' });
        let id = body.id;
        if (body.processor !== undefined && id !== undefined) {
          // The canonical id; an unknown artifact has nothing to retry, which
          // looks the same as one the caller may not retry.
          const artifact = await artifacts.find(body.processor, id);
          if (!artifact) return { result: 0, meta: { ...body, requeued: 0 } };
          id = artifact.id;
        }
        const count = await collection.retryAll({
          processor: body.processor,
          id,
          errorKind: body.errorKind,
          filter,
        });
        return { result: count, meta: { ...body, requeued: count } };
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
