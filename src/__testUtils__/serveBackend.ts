import { JsonObject } from '@backstage/types';
import { Knex } from 'knex';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { startBackpackBackend, STATIC_TOKEN, TestServer } from './backpackBackend';

export { STATIC_TOKEN } from './backpackBackend';

/** The plugin running for a registry-view test, with helpers to mirror into it. */
export interface ServeTestBackend {
  /** The plugin's base URL as discovery gives it, e.g. `http://localhost:41234/api/backpack`. */
  baseUrl: string;
  server: TestServer;
  /** The local blob directory. */
  storage: string;
  /**
   * Adds a root artifact and waits for the walk of the run it starts (the
   * run is then collecting, or settled); throws when the run failed, or
   * ended partial unless `allowPartial` says files may be parked.
   */
  addRoot(
    artifact: { processor: string; id: string; filter?: string; config?: JsonObject },
    options?: { allowPartial?: boolean },
  ): Promise<void>;
  /** Waits until no file of a selected version is pending or queued; returns counts by status. */
  waitForCollection(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

const auth = { Authorization: `Bearer ${STATIC_TOKEN}` };
// Native clients and whole closures take a while on two cores.
const patient = { attempts: 1500, intervalMs: 100 };

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
  const backend = await startBackpackBackend({
    knex: options.knex,
    staticToken: true,
    backpack: {
      queue: { retryDelaysMs: [20, 20], maxAttempts: 2, concurrency: 8 },
      ...backpack,
    },
  });
  const server = backend.server;
  return {
    baseUrl: backend.baseUrl,
    server,
    storage: backend.storage,
    async addRoot(artifact, addOptions = {}) {
      const created = await request(server).post('/api/backpack/artifacts').set(auth).send(artifact);
      if (created.status !== 201) {
        throw new Error(`POST /artifacts answered ${created.status}: ${JSON.stringify(created.body)}`);
      }
      const run = await backend.waitForWalk(created.body.runId, patient);
      if (run.status === 'failed' || (run.status === 'partial' && !addOptions.allowPartial)) {
        throw new Error(`run ended ${run.status}: ${run.error}`);
      }
    },
    waitForCollection: () => backend.waitForCollection(patient),
    stop: () => backend.stop(),
  };
}

/** The outcome of a native client run. */
export interface CommandResult {
  code: number;
  output: string;
}

/**
 * Runs a native client with a bounded time, its environment stripped of
 * the npm, pip and Maven settings and the proxies the test runner may have
 * inherited, so that only the given flags and config files count (and the
 * servers on this machine it talks to are reached directly).
 */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<CommandResult> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(npm_|pip_|maven_)|^(https?|no)_proxy$/i.test(name)) continue;
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

/**
 * Installs `specs` with the real npm into a new project under `work`, from
 * the npm view of the plugin at `baseUrl` only: the documented setup (the
 * registry and a static token for its path), an empty cache, no scripts.
 * Answers the project directory; throws with npm's output when it fails.
 */
export async function npmInstallFromView(
  baseUrl: string,
  work: string,
  specs: string[],
): Promise<string> {
  const project = path.join(work, 'project');
  await fs.mkdir(project, { recursive: true });
  await fs.writeFile(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'offline-install', version: '1.0.0', private: true }),
  );
  const registry = `${baseUrl}/npm/`;
  const npmrc = path.join(work, 'npmrc');
  await fs.writeFile(
    npmrc,
    `registry=${registry}\n${registry.replace(/^https?:/, '')}:_authToken=${STATIC_TOKEN}\n`,
  );
  const result = await runCommand(
    'npm',
    [
      'install',
      ...specs,
      '--registry',
      registry,
      '--userconfig',
      npmrc,
      '--cache',
      path.join(work, 'cache'),
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--no-update-notifier',
    ],
    { cwd: project, timeoutMs: 150_000 },
  );
  if (result.code !== 0) throw new Error(`npm install failed:\n${result.output}`);
  return project;
}
