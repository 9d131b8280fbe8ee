import { PluginProcess } from './PluginProcess';

/** A request of a host's caller, waiting or sent; settled once. */
export interface Queued {
  method: string;
  params: unknown;
  resolve(value: unknown): void;
  reject(error: Error): void;
  settled: boolean;
  /** Set once sent: the process and id, to cancel it. */
  sent?: { process: PluginProcess; id: number };
  /** Clears its timer and abort listener; set by the host. */
  cleanup(): void;
}

/** A request whose first outcome wins: later answers, timeouts or aborts are ignored. */
export function queuedRequest(
  method: string,
  params: unknown,
  resolve: (value: unknown) => void,
  reject: (error: Error) => void,
): Queued {
  const entry: Queued = {
    method,
    params,
    settled: false,
    resolve: value => {
      if (entry.settled) return;
      entry.settled = true;
      entry.cleanup();
      resolve(value);
    },
    reject: error => {
      if (entry.settled) return;
      entry.settled = true;
      entry.cleanup();
      reject(error);
    },
    cleanup: () => {},
  };
  return entry;
}
