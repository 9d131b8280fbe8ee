import { NotFoundError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Readable } from 'node:stream';
import request from 'supertest';
import {
  backpackArtifactConditions,
  backpackArtifactReadPermission,
  createBackpackArtifactConditionalDecision,
} from '../permissions';
import { ExportRecord } from '../exports/types';
import { createRouterHarness, RouterHarness } from './__testUtils__/routerHarness';

// The /exports routes alone, on fake services (see routerHarness.ts); the
// whole plugin building real bundles: exportRoutes.e2e.test.ts.

const EXPORT_ID = '0b9d7a52-3c1e-4f2a-8d6b-5e4f3a2b1c0d';

const record = (fields: Partial<ExportRecord> = {}): ExportRecord => ({
  id: EXPORT_ID,
  status: 'queued',
  kind: 'full',
  createdAt: '2026-11-01T00:00:00.000Z',
  parts: [],
  files: 0,
  totalBytes: 0,
  ...fields,
});

const rootsOnly = createBackpackArtifactConditionalDecision(
  backpackArtifactReadPermission,
  backpackArtifactConditions.isRoot({ root: true }),
);
const rootsScope = { type: 'some', filter: { key: 'root', value: true } };

describe('export routes', () => {
  let harness: RouterHarness;

  beforeEach(async () => {
    harness = await createRouterHarness();
  });

  it('POST /exports builds within what the caller may read, and audits it', async () => {
    harness.decisions[backpackArtifactReadPermission.name] = rootsOnly;
    harness.services.exports.createExport.mockResolvedValue(record({ kind: 'delta', processors: ['npm'] }));
    const res = await request(harness.app)
      .post('/exports')
      .send({ since: ' 2026-11-21T10:00:00Z ', processors: ['npm'] });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: EXPORT_ID, kind: 'delta' });
    expect(harness.services.exports.createExport).toHaveBeenCalledWith(
      { since: '2026-11-21T10:00:00Z', processors: ['npm'], requestedBy: 'user:default/mock' },
      rootsScope,
    );
    expect(harness.events[0]).toMatchObject({
      options: { eventId: 'export-create', severityLevel: 'high' },
      outcome: 'success',
      meta: { exportId: EXPORT_ID, kind: 'delta', since: '2026-11-21T10:00:00Z', processors: ['npm'] },
    });
  });

  it('POST /exports answers 400 for bad bodies and 403 without the permission, calling nothing', async () => {
    for (const [body, message] of [
      [{ since: '' }, /^since: /],
      [{ processors: [] }, /^processors: /],
      [{ full: true }, /^full: Unknown key$/],
    ] as const) {
      const res = await request(harness.app).post('/exports').send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(message);
    }
    harness.decisions['backpack.export.create'] = { result: AuthorizeResult.DENY };
    expect((await request(harness.app).post('/exports').send({})).status).toBe(403);
    expect(harness.services.exports.createExport).not.toHaveBeenCalled();
    expect(harness.events.map(e => e.outcome)).toEqual(['fail', 'fail', 'fail', 'fail']);
  });

  it('GET /exports and /exports/:id read within the caller scope', async () => {
    harness.decisions[backpackArtifactReadPermission.name] = rootsOnly;
    harness.services.exports.listExports.mockResolvedValue({ items: [record()], total: 1 });
    const list = await request(harness.app).get('/exports?limit=10');
    expect(list.body).toMatchObject({ total: 1, limit: 10, offset: 0 });
    expect(harness.services.exports.listExports).toHaveBeenCalledWith({ limit: 10, offset: 0, visible: rootsScope });

    harness.services.exports.getExport.mockRejectedValue(new NotFoundError(`No export '${EXPORT_ID}'`));
    expect((await request(harness.app).get(`/exports/${EXPORT_ID}`)).status).toBe(404);
    expect(harness.services.exports.getExport).toHaveBeenCalledWith(EXPORT_ID, rootsScope);
  });

  it('DELETE /exports/:id answers 404 for a hidden export before it asks for the delete permission', async () => {
    harness.decisions['backpack.export.delete'] = { result: AuthorizeResult.DENY };
    harness.services.exports.getExport.mockRejectedValueOnce(new NotFoundError('hidden'));
    expect((await request(harness.app).delete(`/exports/${EXPORT_ID}`)).status).toBe(404);

    harness.services.exports.getExport.mockResolvedValue(record({ status: 'succeeded' }));
    expect((await request(harness.app).delete(`/exports/${EXPORT_ID}`)).status).toBe(403);
    expect(harness.services.exports.deleteExport).not.toHaveBeenCalled();

    delete harness.decisions['backpack.export.delete'];
    harness.services.exports.deleteExport.mockResolvedValue(
      record({ status: 'succeeded', parts: [{ name: 'part-00001.tar', size: 10, sha256: 'x' }] as any, totalBytes: 10 }),
    );
    expect((await request(harness.app).delete(`/exports/${EXPORT_ID}`)).status).toBe(204);
    expect(harness.events.map(e => [e.options.eventId, e.outcome])).toEqual([
      ['export-delete', 'fail'],
      ['export-delete', 'fail'],
      ['export-delete', 'success'],
    ]);
    expect(harness.events[2].meta).toEqual({ status: 'succeeded', parts: 1, totalBytes: 10 });
  });

  it('streams the manifest and parts with their size and a file name', async () => {
    harness.services.exports.openManifest.mockResolvedValue({ size: 2, body: Readable.from([Buffer.from('{}')]) });
    const manifest = await request(harness.app).get(`/exports/${EXPORT_ID}/manifest`);
    expect(manifest.status).toBe(200);
    expect(manifest.headers).toMatchObject({
      'content-type': expect.stringMatching(/^application\/json/),
      'content-length': '2',
      'content-disposition': 'attachment; filename="manifest.json"',
    });

    harness.services.exports.openPart.mockResolvedValue({
      name: 'part-00002.tar',
      size: 5,
      body: Readable.from([Buffer.from('12345')]),
    });
    const part = await request(harness.app).get(`/exports/${EXPORT_ID}/parts/2`).buffer(true);
    expect(part.status).toBe(200);
    expect(part.headers).toMatchObject({
      'content-type': 'application/x-tar',
      'content-length': '5',
      'content-disposition': 'attachment; filename="part-00002.tar"',
    });
    expect(harness.services.exports.openPart).toHaveBeenCalledWith(EXPORT_ID, 2, { type: 'all' });

    harness.services.exports.openSignature.mockResolvedValue({ size: 3, body: Readable.from([Buffer.from('sig')]) });
    const signature = await request(harness.app).get(`/exports/${EXPORT_ID}/manifest.sig`);
    expect(signature.status).toBe(200);
    expect(signature.text).toBe('sig');
    expect(signature.headers).toMatchObject({
      'content-type': 'text/plain; charset=utf-8',
      'content-length': '3',
      'content-disposition': 'attachment; filename="manifest.json.sig"',
    });
    expect(harness.services.exports.openSignature).toHaveBeenCalledWith(EXPORT_ID, { type: 'all' });

    const bad = await request(harness.app).get(`/exports/${EXPORT_ID}/parts/x`);
    expect(bad.status).toBe(400);
    expect(harness.services.exports.openPart).toHaveBeenCalledTimes(1);
  });
});
