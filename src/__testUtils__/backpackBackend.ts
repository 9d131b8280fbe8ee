import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import {
  coreServices,
  createBackendModule,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import { Knex } from 'knex';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { backpackProcessorsExtensionPoint } from '../extensions';
import { backpackFeatures } from './backpackFeatures';
import { BackpackProcessor } from '../processors/types';
import { MirrorRun } from '../types';
import { pollUntil, WaitOptions } from './waitFor';

// The one full-backend setup of the end-to-end suites: the whole plugin in
// Backstage's test backend, on a temporary local blob directory and the
// in-process queue unless the test configures otherwise.

/** What supertest accepts as a server. */
export type TestServer = Parameters<typeof request>[0];

/** The static token scripts and native clients use in these tests. */
export const STATIC_TOKEN = 'serve-test-static-token-0123456789abcdef';

/** Options of {@link startBackpackBackend}. */
export interface BackpackBackendOptions {
  /**
   * `backpack` config, merged key by key over the defaults: a temporary
   * local blob directory, and a queue with short retries.
   */
  backpack?: JsonObject;
  /** Other top-level config blocks, e.g. `backend`. */
  config?: JsonObject;
  /** The database, e.g. from `TestDatabases`; SQLite in memory without it. */
  knex?: Knex;
  /** Processors a module adds through the extension point. */
  processors?: BackpackProcessor[];
  /** More features: a permission policy, an auditor, service factories. */
  features?: any[];
  /**
   * Scheduled tasks run only when the test triggers them through
   * {@link BackpackBackend.scheduler}.
   */
  manualScheduler?: boolean;
  /**
   * Real authentication: callers need {@link STATIC_TOKEN} (as scripts and
   * native clients use) instead of the test backend's mock credentials.
   */
  staticToken?: boolean;
  /** A blob directory to use (and keep), e.g. across a restart. */
  storageDir?: string;
}

/** The plugin running in a test backend. */
export interface BackpackBackend {
  server: TestServer;
  /** The plugin's base URL as discovery gives it, e.g. `http://localhost:41234/api/backpack`. */
  baseUrl: string;
  /** The local blob directory. */
  storage: string;
  /** The scheduler, when started with `manualScheduler`. */
  scheduler?: SchedulerService;
  /** Headers the helpers below send: the static token, or none. */
  headers: Record<string, string>;
  /** Polls a GET of an API path until `done` holds for its body; bounded by attempts. */
  poll<T = any>(url: string, done: (body: T) => boolean, options?: WaitOptions): Promise<T>;
  /** Waits until a run settled (succeeded, partial or failed) and answers it. */
  waitForRun(runId: string, options?: WaitOptions): Promise<MirrorRun>;
  /** Waits until a run's walk is done (collecting, or settled) and answers it. */
  waitForWalk(runId: string, options?: WaitOptions): Promise<MirrorRun>;
  /** Waits until no file is pending or queued; answers file counts by status. */
  waitForCollection(options?: WaitOptions): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

const SETTLED = ['succeeded', 'partial', 'failed'];

/** Starts the whole plugin in a test backend; see {@link BackpackBackendOptions}. */
export async function startBackpackBackend(
  options: BackpackBackendOptions = {},
): Promise<BackpackBackend> {
  const ownStorage = !options.storageDir;
  const storage =
    options.storageDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-backend-')));
  let scheduler: SchedulerService | undefined;
  const processors = options.processors ?? [];
  const testModule = createBackendModule({
    pluginId: 'backpack',
    moduleId: 'test-setup',
    register(env) {
      env.registerInit({
        deps: { extension: backpackProcessorsExtensionPoint, scheduler: coreServices.scheduler },
        async init(deps) {
          scheduler = deps.scheduler;
          if (processors.length) deps.extension.addProcessor(...processors);
        },
      });
    },
  });
  const config = options.config ?? {};
  const backend = await startTestBackend({
    features: [
      ...backpackFeatures,
      testModule,
      ...(options.staticToken ? [authServiceFactory, httpAuthServiceFactory] : []),
      ...(options.knex ? [mockServices.database.factory({ knex: options.knex })] : []),
      ...(options.manualScheduler
        ? [mockServices.scheduler.factory({ skipTaskRunOnStartup: true })]
        : []),
      mockServices.rootConfig.factory({
        data: {
          ...config,
          ...(options.staticToken
            ? {
                backend: {
                  ...(config.backend as JsonObject | undefined),
                  auth: {
                    externalAccess: [
                      { type: 'static', options: { token: STATIC_TOKEN, subject: 'serve-test' } },
                    ],
                  },
                },
              }
            : {}),
          backpack: {
            storage: { local: { directory: storage } },
            queue: { retryDelaysMs: [10, 10], maxAttempts: 2 },
            ...options.backpack,
            // waitForCollection polls /stats, which must not answer from a cache.
            collection: { statsCacheMs: 0, ...(options.backpack?.collection as object | undefined) },
          },
        },
      }),
      ...(options.features ?? []),
    ],
  });
  const server = backend.server;
  const headers: Record<string, string> = options.staticToken
    ? { Authorization: `Bearer ${STATIC_TOKEN}` }
    : {};

  const poll = <T>(url: string, done: (body: T) => boolean, waitOptions?: WaitOptions) =>
    pollUntil(
      `GET ${url}`,
      async () => {
        const res = await request(server).get(url).set(headers);
        if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${res.text}`);
        return res.body as T;
      },
      done,
      waitOptions,
    );

  return {
    server,
    baseUrl: `http://localhost:${server.port()}/api/backpack`,
    storage,
    get scheduler() {
      return options.manualScheduler ? scheduler : undefined;
    },
    headers,
    poll,
    waitForRun: (runId, waitOptions) =>
      poll<MirrorRun>(`/api/backpack/runs/${runId}`, run => SETTLED.includes(run.status), waitOptions),
    waitForWalk: (runId, waitOptions) =>
      poll<MirrorRun>(
        `/api/backpack/runs/${runId}`,
        run => !['queued', 'running'].includes(run.status),
        waitOptions,
      ),
    async waitForCollection(waitOptions) {
      const stats = await poll<{ byProcessor: Array<{ status: string; files: number }> }>(
        '/api/backpack/stats',
        body => !body.byProcessor.some(row => ['pending', 'queued'].includes(row.status)),
        waitOptions,
      );
      const counts: Record<string, number> = {};
      for (const row of stats.byProcessor) counts[row.status] = (counts[row.status] ?? 0) + row.files;
      return counts;
    },
    async stop() {
      await backend.stop();
      if (ownStorage) await fs.rm(storage, { recursive: true, force: true });
    },
  };
}

