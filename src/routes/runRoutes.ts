import { InputError, NotFoundError } from '@backstage/errors';
import { Router } from 'express';
import {
  backpackArtifactReadPermission,
  backpackRunCreatePermission,
} from '../permissions/permissions';
import { parseInput } from '../lib/validation';
import { auditedAction } from './auditedAction';
import { callerCredentials, principalRef } from './credentials';
import { createRunBody, isUuid, listRunsQuery } from './requestSchemas';
import { RouteContext } from './RouteContext';

/** Routes under /runs. */
export function addRunRoutes(router: Router, ctx: RouteContext): void {
  const { httpAuth, auditor, authorizer, artifacts, runs } = ctx;

  router.post('/runs', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const run = await auditedAction(
      auditor,
      { eventId: 'run-create', severityLevel: 'high', request: req },
      async () => {
        await authorizer.authorize(backpackRunCreatePermission, credentials);
        const body = parseInput(createRunBody, req.body ?? {}, { label: 'body' });
        let scope: { processor: string; id: string } | undefined;
        if (body.processor !== undefined && body.id !== undefined) {
          // The run is scoped to a stored artifact the caller may read,
          // under its canonical id.
          await authorizer.authorizeArtifact(backpackArtifactReadPermission, credentials, {
            processor: body.processor,
            id: body.id,
          });
          const artifact = await artifacts.get(body.processor, body.id);
          if (!artifact.root) {
            // A dependency has no filter of its own; its versions come from
            // the roots that need it, so a full run is what refreshes it.
            throw new InputError(
              `${artifact.processor}:${artifact.id} is a dependency, not a root; start a full run to refresh it`,
            );
          }
          scope = { processor: artifact.processor, id: artifact.id };
        }
        const result = await runs.startRun({
          trigger: 'manual',
          scope,
          requestedBy: principalRef(credentials),
        });
        return {
          result,
          meta: { runId: result.id, ...(scope ? { scope } : {}) },
        };
      },
    );
    res.status(202).json(run);
  });

  // Full runs need `backpack.run.read`; a run scoped to an artifact is
  // seen by whoever may read that artifact. Others look missing.
  router.get('/runs', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const query = parseInput(listRunsQuery, req.query, { label: 'query' });
    const visible = await authorizer.runVisibility(credentials);
    const page = await runs.listRuns({ ...query, visible });
    res.json({ ...page, limit: query.limit, offset: query.offset });
  });

  router.get('/runs/:id', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const { id } = req.params;
    if (!isUuid(id)) throw new NotFoundError(`No mirror run with id '${id}'`);
    const visible = await authorizer.runVisibility(credentials);
    res.json(await runs.getRun(id.toLowerCase(), visible));
  });
}
