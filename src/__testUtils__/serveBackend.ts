import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import { Knex } from 'knex';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { backpackFeatures } from './backpackFeatures';

/** The static token scripts and native clients use in these tests. */
export const STATIC_TOKEN = 'serve-test-static-token-0123456789abcdef';

/** The plugin running for a registry-view test, with helpers to mirror into it. */
export interface ServeTestBackend {
  /** The plugin's base URL as discovery gives it, e.g. `http://localhost:41234/api/backpack`. */
  baseUrl: string;
  server: Parameters<typeof request>[0];
  /**
   * Adds a root artifact and waits for the walk of the run it starts (the
   * run is then collecting, or settled); throws when the run failed, or
   * ended partial unless `allowPartial` says files may be parked.
   */
  addRoot(
    artifact: { processor: string; id: string; filter?: string },
    options?: { allowPartial?: boolean },
  ): Promise<void>;
  /** Waits until no file of a selected version is pending or queued; returns counts by status. */
  waitForCollection(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

const auth = { Authorization: `Bearer ${STATIC_TOKEN}` };

async function poll<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  // Bounded by attempts, not by a clock assertion.
  for (let attempt = 0; attempt < 1500; attempt++) {
    const result = await probe();
    if (result !== undefined) return result;
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not finish`);
}

/**
 * Starts the plugin with real authentication (a static external-access
 * token, as scripts and native clients use), the in-process queue and a
 * local-directory blob store in a temporary directory.
 */
export async function startServeBackend(
  backpack: JsonObject,
  options: {
    /** The database to use, e.g. from `TestDatabases`; SQLite in memory without it. */
    knex?: Knex;
  } = {},
): Promise<ServeTestBackend> {
  const storage = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-serve-'));
  const backend = await startTestBackend({
    features: [
      ...backpackFeatures,
      authServiceFactory,
      httpAuthServiceFactory,
      ...(options.knex ? [mockServices.database.factory({ knex: options.knex })] : []),
      mockServices.rootConfig.factory({
        data: {
          backend: {
            auth: {
              externalAccess: [
                { type: 'static', options: { token: STATIC_TOKEN, subject: 'serve-test' } },
              ],
            },
          },
          backpack: {
            storage: { local: { directory: storage } },
            queue: { retryDelaysMs: [20, 20], maxAttempts: 2, concurrency: 8 },
            ...backpack,
          },
        },
      }),
    ],
  });
  const server = backend.server;
  const baseUrl = `http://localhost:${backend.server.port()}/api/backpack`;

  return {
    baseUrl,
    server,
    async addRoot(artifact, addOptions = {}) {
      const created = await request(server).post('/api/backpack/artifacts').set(auth).send(artifact);
      if (created.status !== 201) {
        throw new Error(`POST /artifacts answered ${created.status}: ${JSON.stringify(created.body)}`);
      }
      const run = await poll(`run ${created.body.runId}`, async () => {
        const res = await request(server).get(`/api/backpack/runs/${created.body.runId}`).set(auth);
        // Walked: collecting its files, or settled already.
        return ['queued', 'running'].includes(res.body.status) ? undefined : res.body;
      });
      if (run.status === 'failed' || (run.status === 'partial' && !addOptions.allowPartial)) {
        throw new Error(`run ended ${run.status}: ${run.error}`);
      }
    },
    async waitForCollection() {
      return poll('collection', async () => {
        const res = await request(server).get('/api/backpack/stats').set(auth);
        const counts: Record<string, number> = {};
        for (const row of res.body.byProcessor as Array<{ status: string; files: number }>) {
          counts[row.status] = (counts[row.status] ?? 0) + row.files;
        }
        return counts.pending || counts.queued ? undefined : counts;
      });
    },
    async stop() {
      await backend.stop();
      await fs.rm(storage, { recursive: true, force: true });
    },
  };
}

/** The outcome of a native client run. */
export interface CommandResult {
  code: number;
  output: string;
}

/**
 * Runs a native client with a bounded time, its environment stripped of
 * the npm and pip settings the test runner may have inherited, so that only
 * the given flags and config files count.
 */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<CommandResult> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(npm_|pip_|maven_)/i.test(name)) continue;
    env[name] = value;
  }
  return new Promise(resolve => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: { ...env, ...options.env },
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        let code = 0;
        if (error) code = typeof error.code === 'number' ? error.code : 1;
        resolve({ code, output: `${stdout}\n${stderr}`.trim() });
      },
    );
  });
}
