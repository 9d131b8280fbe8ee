import { spawn } from 'node:child_process';
import { reapedChildrenCpuSeconds } from './procfs';

/** The outcome of a baseline command. */
export interface CommandRun {
  seconds: number;
  /** CPU seconds the command and its children used. */
  cpuSeconds: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment for baseline tools: this process's, without the `npm_*`
 * variables `npm run` sets (they would point npm at this repository and its
 * settings), with `extra` set (or removed where undefined).
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key)) env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Runs a command to completion and times it; rejects on a non-zero exit. */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const cpuBefore = reapedChildrenCpuSeconds();
    const start = process.hrtime.bigint();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', d => (stdout += d));
    child.stderr.on('data', d => (stderr += d));
    child.once('error', reject);
    child.once('close', code => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const cpuSeconds = reapedChildrenCpuSeconds() - cpuBefore;
      if (code !== 0) {
        reject(
          new Error(
            `${command} ${args.join(' ')} exited with ${code}:\n${stderr.slice(-2000)}${stdout.slice(-1000)}`,
          ),
        );
      } else {
        resolve({ seconds, cpuSeconds, stdout, stderr });
      }
    });
  });
}

/** Whether a program is on the PATH. */
export async function hasCommand(command: string): Promise<boolean> {
  try {
    await runCommand('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

/** Quotes a command line for display. */
export function shellQuote(args: string[]): string {
  return args
    .map(a => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}
