import { Response, Router } from 'express';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { backpackExportCreatePermission } from '../permissions/permissions';
import { parseInput } from '../services/validation';
import { auditedAction } from './auditedAction';
import { callerCredentials, principalRef } from './credentials';
import { pagination } from './requestSchemas';
import { RouteContext } from './RouteContext';

const createExportBody = z.strictObject({
  since: z.string().trim().min(1, 'must not be empty').optional(),
  processors: z.array(z.string().min(1, 'must not be empty')).min(1).optional(),
});

const listExportsQuery = z.object({ ...pagination });

const partNumber = z.coerce.number().int().min(1);

/** Sends a blob-store stream; a client that goes away stops the read. */
function sendStream(res: Response, body: Readable, headers: Record<string, string>) {
  res.status(200).set(headers);
  body.on('error', error => res.destroy(error));
  res.on('close', () => body.destroy());
  body.pipe(res);
}

/** Routes under /exports: build export bundles and download them. */
export function addExportRoutes(router: Router, ctx: RouteContext): void {
  const { httpAuth, auditor, authorizer, exports } = ctx;

  router.post('/exports', async (req, res) => {
    const credentials = await callerCredentials(httpAuth, req);
    const record = await auditedAction(
      auditor,
      { eventId: 'export-create', severityLevel: 'high', request: req },
      async () => {
        await authorizer.authorize(backpackExportCreatePermission, credentials);
        const body = parseInput(createExportBody, req.body ?? {}, { label: 'body' });
        const result = await exports.createExport({
          ...body,
          requestedBy: principalRef(credentials),
        });
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
    await callerCredentials(httpAuth, req);
    const query = parseInput(listExportsQuery, req.query, { label: 'query' });
    const page = await exports.listExports(query);
    res.json({ ...page, limit: query.limit, offset: query.offset });
  });

  router.get('/exports/:id', async (req, res) => {
    await callerCredentials(httpAuth, req);
    res.json(await exports.getExport(req.params.id));
  });

  router.get('/exports/:id/manifest', async (req, res) => {
    await callerCredentials(httpAuth, req);
    const manifest = await exports.openManifest(req.params.id);
    sendStream(res, manifest.body, {
      'Content-Type': 'application/json',
      'Content-Length': String(manifest.size),
      'Content-Disposition': 'attachment; filename="manifest.json"',
    });
  });

  router.get('/exports/:id/parts/:n', async (req, res) => {
    await callerCredentials(httpAuth, req);
    const n = parseInput(partNumber, req.params.n, { label: 'n' });
    const part = await exports.openPart(req.params.id, n);
    sendStream(res, part.body, {
      'Content-Type': 'application/x-tar',
      'Content-Length': String(part.size),
      'Content-Disposition': `attachment; filename="${part.name}"`,
    });
  });
}
