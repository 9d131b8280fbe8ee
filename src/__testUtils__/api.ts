import request from 'supertest';
import { MirrorRun } from '../types';
import { TestServer } from './backpackBackend';
import { waitFor, WaitOptions } from './waitFor';

// Reads of the REST API the end-to-end suites share.

/** A file as `GET .../versions/:version/files` lists it. */
export type ApiFile = Record<string, any>;

/** GET /runs/:id, which must answer 200. */
export async function getRun(server: TestServer, runId: string): Promise<MirrorRun> {
  const res = await request(server).get(`/api/backpack/runs/${runId}`);
  expect(res.status).toBe(200);
  return res.body;
}

/** Waits until a run settled: walked, and every file it queued collected or parked. */
export function waitForRun(server: TestServer, runId: string, options?: WaitOptions): Promise<MirrorRun> {
  return waitFor(
    `run ${runId} to settle`,
    async () => {
      const run = await getRun(server, runId);
      return ['succeeded', 'partial', 'failed'].includes(run.status) ? run : undefined;
    },
    options,
  );
}

/**
 * Waits until the run settled as {@link waitForRun} does, but throws when
 * it failed, and checks that every file it queued has an outcome.
 */
export async function waitForCollectedRun(server: TestServer, runId: string): Promise<MirrorRun> {
  const run = await waitForRun(server, runId);
  if (run.status === 'failed') throw new Error(`Run failed: ${run.error}`);
  // Settled means every queued file has its outcome.
  expect(run.counters.filesCollected + run.counters.filesFailed).toBeGreaterThanOrEqual(
    run.counters.filesQueued,
  );
  return run;
}

/** The files of one version of an artifact; with `status`, only the files in it. */
export async function filesOf(
  server: TestServer,
  processor: string,
  id: string,
  version = '1.0.0',
  status?: string,
): Promise<ApiFile[]> {
  const res = await request(server).get(
    `/api/backpack/artifacts/${processor}/${encodeURIComponent(id)}/versions/${version}/files?limit=500${
      status ? `&status=${status}` : ''
    }`,
  );
  expect(res.status).toBe(200);
  return res.body.items;
}

/** Files by name. */
export const byName = (files: ApiFile[]): Record<string, ApiFile> =>
  Object.fromEntries(files.map(f => [f.name, f]));

/** Waits until no file of the artifact's version 1.0.0 is pending, queued or waiting for a retry. */
export function waitForFiles(server: TestServer, processor: string, id: string): Promise<ApiFile[]> {
  return waitFor(`files of ${processor}:${id} to settle`, async () => {
    const files = await filesOf(server, processor, id);
    const settled = files.every(f => f.status === 'collected' || f.status === 'parked');
    return settled ? files : undefined;
  });
}

/** `id@version` of every selected version of every artifact of a processor, through the API. */
export async function selectedThroughApi(
  server: TestServer,
  processor: string,
  headers: Record<string, string> = {},
): Promise<string[]> {
  const list = await request(server)
    .get(`/api/backpack/artifacts?processor=${processor}&limit=500`)
    .set(headers);
  expect(list.status).toBe(200);
  const pairs: string[] = [];
  for (const artifact of list.body.items) {
    const versions = await request(server)
      .get(
        `/api/backpack/artifacts/${processor}/${encodeURIComponent(artifact.id)}/versions?status=selected&limit=500`,
      )
      .set(headers);
    expect(versions.status).toBe(200);
    pairs.push(...versions.body.items.map((v: { version: string }) => `${artifact.id}@${v.version}`));
  }
  return pairs.sort();
}

/** POST /artifacts, which must answer 201; answers the created artifact with its `runId`. */
export async function createArtifact(server: TestServer, body: object) {
  const res = await request(server).post('/api/backpack/artifacts').send(body);
  expect(res.status).toBe(201);
  return res.body;
}

/**
 * A supertest parser that keeps the body as bytes:
 * `request(server).get(url).buffer(true).parse(binaryBody)`.
 */
export function binaryBody(
  res: request.Response,
  done: (error: Error | null, body: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}
