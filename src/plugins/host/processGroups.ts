/**
 * Process groups of the plugins alive in this backend. Each plugin leads
 * its own group, so killing the group also ends what the plugin started;
 * and when the backend process exits without closing its hosts, the exit
 * hook kills what is left rather than orphaning it.
 */
const live = new Set<number>();
let hooked = false;

const usesGroups = process.platform !== 'win32';

/** Whether plugins are spawned as process-group leaders (`detached`). */
export function spawnsGroups(): boolean {
  return usesGroups;
}

export function trackGroup(pid: number): void {
  live.add(pid);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const group of live) killGroup(group, 'SIGKILL');
    });
  }
}

export function untrackGroup(pid: number): void {
  live.delete(pid);
}

/** Signals the plugin's group (or the plugin alone where there are no groups); false when none is left. */
export function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(usesGroups ? -pid : pid, signal);
    return true;
  } catch {
    return false;
  }
}
