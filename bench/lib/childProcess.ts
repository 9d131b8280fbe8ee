import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Node's flag that lets a child process run TypeScript from this package. */
export const TS_REQUIRE = [
  '--require',
  require.resolve('@backstage/cli/config/nodeTransform.cjs'),
];

/** The repository root, for scripts and the relative paths in commands. */
export const REPO_ROOT = path.resolve(__dirname, '../..');

/** A child process started by the harness. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  /** Where its stdout and stderr go. */
  readonly logFile: string;
  /** Stops it: SIGTERM (or the given signal), SIGKILL after the grace period. */
  stop(options?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<void>;
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Starts a process with its output in a log file. With `ipc`, resolves
 * once the process sends its first message (`{ port }` or `{ error }`).
 */
export async function startChild(options: {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  ipc?: boolean;
  /** Working directory; default this repository. */
  cwd?: string;
}): Promise<{ child: Child; message?: { port?: number; error?: string } }> {
  const log = fs.openSync(options.logFile, 'a');
  const proc = spawn(options.command, options.args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', log, log, ...(options.ipc ? (['ipc'] as const) : [])],
  });
  fs.closeSync(log);
  const exited = new Promise<number | null>(resolve =>
    proc.once('exit', code => resolve(code)),
  );
  const child: Child = {
    name: options.name,
    process: proc,
    pid: proc.pid!,
    exited,
    logFile: options.logFile,
    async stop({ signal = 'SIGTERM', graceMs = 15_000 } = {}) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      if (proc.connected) proc.disconnect();
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  if (!options.ipc) return { child };
  try {
    const message = await new Promise<{ port?: number; error?: string }>(
      (resolve, reject) => {
        // The TypeScript loader also talks over IPC (`{ type: 'watch' }`).
        const onMessage = (m: { port?: number; error?: string }) => {
          if (m?.port === undefined && m?.error === undefined) return;
          proc.off('message', onMessage);
          resolve(m);
        };
        proc.on('message', onMessage);
        proc.once('exit', code =>
          reject(
            new Error(
              `${options.name} exited with ${code} before it was ready:\n${tail(options.logFile)}`,
            ),
          ),
        );
        proc.once('error', reject);
      },
    );
    if (message.error) throw new Error(`${options.name}: ${message.error}`);
    return { child, message };
  } catch (error) {
    await child.stop({ signal: 'SIGKILL' });
    throw error;
  }
}

/** Starts one of the TypeScript servers in bench/servers and waits for its port. */
export async function startServerProcess(options: {
  name: string;
  script: string;
  args: string[];
  logFile: string;
  nodeFlags?: string[];
}): Promise<{ child: Child; port: number }> {
  const { child, message } = await startChild({
    name: options.name,
    command: process.execPath,
    args: [...(options.nodeFlags ?? []), ...TS_REQUIRE, path.join(REPO_ROOT, 'bench/servers', options.script), ...options.args],
    logFile: options.logFile,
    ipc: true,
  });
  return { child, port: message!.port! };
}
