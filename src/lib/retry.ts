/**
 * Waiting and retrying, once for the whole plugin: how long a Retry-After
 * header asks to wait, the exponential backoff of a next attempt, and an
 * abortable sleep. Used by the upstream client and fetcher, the RabbitMQ
 * driver and the background jobs.
 */

/**
 * Milliseconds a Retry-After header asks to wait (delta-seconds or an
 * HTTP date); undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | null | undefined): number | undefined {
  const header = Array.isArray(value) ? value[0] : value;
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * The delay before retry number `attempt` (0 for the first retry): what
 * Retry-After asked for when given, otherwise exponential backoff with
 * jitter from `baseMs`; never more than `maxMs`.
 */
export function retryDelayMs(options: {
  attempt: number;
  baseMs: number;
  maxMs: number;
  retryAfterMs?: number;
}): number {
  const { attempt, baseMs, maxMs, retryAfterMs } = options;
  const backoff = baseMs * 2 ** attempt * (0.5 + Math.random() / 2);
  return Math.max(0, Math.min(retryAfterMs ?? backoff, maxMs));
}

/**
 * Waits `ms`, or rejects with the signal's reason once it aborts. The abort
 * listener is removed when the wait ends either way, so that many waits on
 * one long-lived signal do not pile up listeners.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined = undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
