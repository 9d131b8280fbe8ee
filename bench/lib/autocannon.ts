import path from 'node:path';
import { REPO_ROOT } from './childProcess';
import { runCommand } from './commands';

/** Connections kept busy by every API load run. */
export const CONNECTIONS = 32;
/** Seconds of each measured load run. */
export const DURATION_S = 10;

/** What one autocannon run reports. */
export interface LoadResult {
  p50: number;
  p99: number;
  rps: number;
  total: number;
  non2xx: number;
  errors: number;
}

/** autocannon's arguments: {@link CONNECTIONS} connections, a bearer token, JSON output. */
export function autocannonArgs(url: string, token: string, duration: number): string[] {
  return ['-c', String(CONNECTIONS), '-d', String(duration), '-j', '-H', `authorization=Bearer ${token}`, url];
}

/** Loads `url` for `duration` seconds; also returns autocannon's own CPU and wall seconds. */
export async function load(url: string, token: string, duration = DURATION_S) {
  const bin = path.join(REPO_ROOT, 'node_modules/.bin/autocannon');
  const run = await runCommand(bin, autocannonArgs(url, token, duration));
  const json = JSON.parse(run.stdout);
  const result: LoadResult = {
    p50: json.latency.p50,
    p99: json.latency.p99,
    rps: json.requests.average,
    total: json.requests.total,
    non2xx: json.non2xx ?? 0,
    errors: json.errors ?? 0,
  };
  return { result, cpuSeconds: run.cpuSeconds, seconds: run.seconds };
}
