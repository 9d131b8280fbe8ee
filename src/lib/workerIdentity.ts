import { randomBytes } from 'node:crypto';
import os from 'node:os';

// Who holds a lease or writes a temporary file: the host and the process,
// so that a process on the same host can tell at once whether the holder is
// gone (its pid no longer runs) instead of waiting for a lease to expire.

/** This machine's name as leases record it (bounded to fit the columns). */
export function localHost(): string {
  return os.hostname().slice(0, 100) || 'localhost';
}

/**
 * A worker id for leases and run claims: `<host>-<pid>-<8 hex>`. The random
 * part tells apart several backends in one process (tests) or a pid reused
 * after a restart.
 */
export function createWorkerId(): string {
  return `${localHost()}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Host and pid of a worker id made by {@link createWorkerId}; undefined for other shapes. */
export function parseWorkerId(id: string): { host: string; pid: number } | undefined {
  const match = /^(.+)-(\d+)-[0-9a-f]{8}$/.exec(id);
  if (!match) return undefined;
  return { host: match[1], pid: Number(match[2]) };
}

/**
 * Whether a process with this pid runs on this host. A process of another
 * user counts as alive (EPERM): only a definite "no such process" is dead.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a worker id names a process on this host that no longer runs.
 * Workers of other hosts, and ids of other shapes, are never known dead:
 * their leases run out instead. (A pid reused by another process makes a
 * dead worker look alive, which only means waiting for its lease.)
 */
export function isDeadLocalWorker(
  id: string,
  isAlive: (pid: number) => boolean = isProcessAlive,
): boolean {
  const parsed = parseWorkerId(id);
  return parsed !== undefined && parsed.host === localHost() && !isAlive(parsed.pid);
}
