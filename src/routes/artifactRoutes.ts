import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { Request, Router } from 'express';
import {
  backpackArtifactCreatePermission,
  backpackArtifactDeletePermission,
  backpackArtifactReadPermission,
  backpackArtifactUpdatePermission,
} from '../permissions/permissions';
import { parseInput } from '../lib/validation';
import { auditedAction, auditedArtifactWrite } from './auditedAction';
import { callerCredentials, principalRef } from './credentials';
import {
  artifactParams,
  createArtifactBody,
  deleteArtifactQuery,
  listArtifactsQuery,
  listFilesQuery,
  listVersionsQuery,
  updateArtifactBody,
  versionParams,
} from './requestSchemas';
import { RouteContext } from './RouteContext';

/** The artifact a create or preview request names, for its audit event before the body is checked. */
function namedArtifact(req: Request): { processor: string; id: string } {
  return { processor: String(req.body?.processor ?? ''), id: String(req.body?.id ?? '') };
}

/** Routes under /artifacts. */
export function addArtifactRoutes(router: Router, ctx: RouteContext): void {
  const { httpAuth, auditor, authorizer, artifacts, runs, collection, exports } = ctx;

  /** A create or preview body, once the caller may create artifacts at all. */
  const createBody = async (credentials: BackstageCredentials, req: Request) => {
    await authorizer.authorize(backpackArtifactCreatePermission, credentials);
    return parseInput(createArtifactBody, req.body, { label: 'body' });
  };

  router.post('/artifacts', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const created = await auditedAction(
      auditor,
      {
        eventId: 'artifact-create',
        severityLevel: 'medium',
        request: req,
        meta: namedArtifact(req),
      },
      async () => {
        const body = await createBody(credentials, req);
        const requestedBy = principalRef(credentials);
        const { artifact, promoted } = await artifacts.create(body, requestedBy);
        const run = await runs.startRun({
          trigger: 'artifact',
          scope: { processor: artifact.processor, id: artifact.id },
          requestedBy,
        });
        return {
          result: { ...artifact, promoted, runId: run.id },
          meta: { id: artifact.id, promoted, runId: run.id },
        };
      },
    );
    res.status(201).json(created);
  });

  router.post('/artifacts/preview', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    // A preview of a large closure takes a while; stop walking when the
    // caller has gone away.
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    // Nothing is written, but it does make the backend fetch from upstreams
    // on the caller's behalf, so it is recorded at low severity.
    const preview = await auditedAction(
      auditor,
      {
        eventId: 'artifact-preview',
        severityLevel: 'low',
        request: req,
        meta: namedArtifact(req),
      },
      async () => {
        const body = await createBody(credentials, req);
        const result = await artifacts.preview(body, { signal: abort.signal });
        return {
          result,
          meta: {
            artifacts: result.totals.artifacts,
            versions: result.totals.versions,
            unresolvable: result.unresolvable.length,
          },
        };
      },
    );
    res.json(preview);
  });

  router.get('/artifacts', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const query = parseInput(listArtifactsQuery, req.query, { label: 'query' });
    const filter = await authorizer.listFilter(credentials);
    const page = await artifacts.list({
      processor: query.processor,
      root: query.root,
      status: query.status,
      search: query.q,
      limit: query.limit,
      offset: query.offset,
      filter,
    });
    res.json({ ...page, limit: query.limit, offset: query.offset });
  });

  router.get('/artifacts/:processor/:id', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const { processor, id } = parseInput(artifactParams, req.params, { label: 'path' });
    await authorizer.authorizeArtifact(backpackArtifactReadPermission, credentials, {
      processor,
      id,
    });
    res.json(await artifacts.getDetails(processor, id));
  });

  router.patch('/artifacts/:processor/:id', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const { processor, id } = parseInput(artifactParams, req.params, { label: 'path' });
    const updated = await auditedArtifactWrite(
      ctx,
      {
        eventId: 'artifact-update',
        severityLevel: 'medium',
        request: req,
        credentials,
        permission: backpackArtifactUpdatePermission,
        artifact: { processor, id },
      },
      async () => {
        const body = parseInput(updateArtifactBody, req.body ?? {}, { label: 'body' });
        const result = await artifacts.update(processor, id, body);
        return { result, meta: { changed: Object.keys(body) } };
      },
    );
    res.json(updated);
  });

  router.delete('/artifacts/:processor/:id', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const { processor, id } = parseInput(artifactParams, req.params, { label: 'path' });
    const { purge } = parseInput(deleteArtifactQuery, req.query, {
      label: 'query',
    });
    await auditedArtifactWrite(
      ctx,
      {
        eventId: 'artifact-delete',
        severityLevel: 'high',
        request: req,
        credentials,
        permission: backpackArtifactDeletePermission,
        artifact: { processor, id },
        meta: purge ? { purge } : undefined,
      },
      async () => {
        const { orphanedStorageKeys } = await artifacts.delete(processor, id);
        if (!purge) return { result: undefined };
        const purged = await collection.purgeObjects(orphanedStorageKeys);
        return { result: undefined, meta: { purged } };
      },
    );
    res.status(204).end();
  });

  router.get('/artifacts/:processor/:id/sbom', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const { processor, id } = parseInput(artifactParams, req.params, { label: 'path' });
    const artifact = await authorizer.authorizeArtifact(backpackArtifactReadPermission, credentials, {
      processor,
      id,
    });
    const { canRead } = await authorizer.readAccess(credentials);
    const sbom = await exports.artifactSbom({ processor: artifact.processor, id: artifact.id }, canRead);
    res.status(200).type('application/vnd.cyclonedx+json').send(sbom);
  });

  router.get('/artifacts/:processor/:id/versions', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const { processor, id } = parseInput(artifactParams, req.params, { label: 'path' });
    const query = parseInput(listVersionsQuery, req.query, { label: 'query' });
    await authorizer.authorizeRead(credentials, { processor, id });
    const page = await artifacts.listVersions(processor, id, query);
    res.json({ ...page, limit: query.limit, offset: query.offset });
  });

  router.get(
    '/artifacts/:processor/:id/versions/:version/files',
    async (req, res) => {
      const credentials = await callerCredentials(httpAuth, req);
      const { processor, id, version } = parseInput(versionParams, req.params, {
        label: 'path',
      });
      const query = parseInput(listFilesQuery, req.query, { label: 'query' });
      await authorizer.authorizeRead(credentials, { processor, id });
      const page = await artifacts.listFiles(processor, id, version, query);
      res.json({ ...page, limit: query.limit, offset: query.offset });
    },
  );
}
