import { Router } from 'express';
import { z } from 'zod';
import { COLUMN_LIMITS } from '../database/columnLimits';
import {
  backpackExportCreatePermission,
  backpackExportDeletePermission,
} from '../permissions/permissions';
import { parseInput, text } from '../lib/validation';
import { auditedAction } from './auditedAction';
import { callerCredentials, principalRef } from './credentials';
import { pagination } from './requestSchemas';
import { RouteContext } from './RouteContext';
import { sendAttachment } from './sendStream';

const createExportBody = z.strictObject({
  // An export id or an ISO 8601 timestamp.
  since: text(64).trim().min(1, 'must not be empty').optional(),
  processors: z
    .array(text(COLUMN_LIMITS.processor).min(1, 'must not be empty'))
    .min(1)
    .max(100)
    .optional(),
});

const listExportsQuery = z.object({ ...pagination });

const partNumber = z.coerce.number().int().min(1);

/**
 * Routes under /exports: build export bundles, download and delete them.
 * Every read is limited to the exports whose every artifact the caller may
 * read (see `ExportService`); others answer 404 like missing ones.
 */
export function addExportRoutes(router: Router, ctx: RouteContext): void {
  const { httpAuth, auditor, authorizer, exports, logger } = ctx;

  router.post('/exports', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const record = await auditedAction(
      auditor,
      { eventId: 'export-create', severityLevel: 'high', request: req },
      async () => {
        await authorizer.authorize(backpackExportCreatePermission, credentials);
        const body = parseInput(createExportBody, req.body ?? {}, { label: 'body' });
        const { scope } = await authorizer.readAccess(credentials);
        const result = await exports.createExport(
          { ...body, requestedBy: principalRef(credentials) },
          scope,
        );
        return {
          result,
          meta: {
            exportId: result.id,
            kind: result.kind,
            ...(body.since ? { since: body.since } : {}),
            ...(result.processors ? { processors: result.processors } : {}),
          },
        };
      },
    );
    res.status(202).json(record);
  });

  router.get('/exports', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const query = parseInput(listExportsQuery, req.query, { label: 'query' });
    const { scope } = await authorizer.readAccess(credentials);
    const page = await exports.listExports({ ...query, visible: scope });
    res.json({ ...page, limit: query.limit, offset: query.offset });
  });

  router.get('/exports/:id', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const { scope } = await authorizer.readAccess(credentials);
    res.json(await exports.getExport(req.params.id, scope));
  });

  router.delete('/exports/:id', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const { id } = req.params;
    await auditedAction(
      auditor,
      { eventId: 'export-delete', severityLevel: 'high', request: req, meta: { exportId: id } },
      async () => {
        // An export the caller may not see is missing to it (404) before
        // the permission to delete is asked (403).
        const { scope } = await authorizer.readAccess(credentials);
        await exports.getExport(id, scope);
        await authorizer.authorize(backpackExportDeletePermission, credentials);
        const deleted = await exports.deleteExport(id, scope);
        return {
          result: undefined,
          meta: { status: deleted.status, parts: deleted.parts.length, totalBytes: deleted.totalBytes },
        };
      },
    );
    res.status(204).end();
  });

  router.get('/exports/:id/manifest', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const { scope } = await authorizer.readAccess(credentials);
    const manifest = await exports.openManifest(req.params.id, scope);
    await sendAttachment(req, res, manifest, { contentType: 'application/json', filename: 'manifest.json' }, logger);
  });

  router.get('/exports/:id/manifest.sig', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const { scope } = await authorizer.readAccess(credentials);
    const signature = await exports.openSignature(req.params.id, scope);
    const download = { contentType: 'text/plain; charset=utf-8', filename: 'manifest.json.sig' };
    await sendAttachment(req, res, signature, download, logger);
  });

  router.get('/exports/:id/parts/:n', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const n = parseInput(partNumber, req.params.n, { label: 'n' });
    const { scope } = await authorizer.readAccess(credentials);
    const part = await exports.openPart(req.params.id, n, scope);
    await sendAttachment(req, res, part, { contentType: 'application/x-tar', filename: part.name }, logger);
  });
}
