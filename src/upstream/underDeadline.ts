import { TransferTimeoutError } from './errors';
import { redactUrl } from './urls';

/**
 * Runs one attempt of a GET under a deadline of `timeoutMs` that covers the
 * body too, aborted also by the caller's `signal`. The caller's abort goes
 * through the deadline's controller (cheaper than `AbortSignal.any` on a
 * path taken once per upstream request), and its listener is removed after
 * the attempt so listeners never pile up on a long-lived signal.
 */
export async function underDeadline<T>(
  url: string | URL,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(
    () =>
      deadline.abort(
        new TransferTimeoutError(
          `GET ${redactUrl(url)} did not complete within ${timeoutMs} ms (backpack.upstream.timeoutMs)`,
        ),
      ),
    timeoutMs,
  );
  const forward = () => deadline.abort(signal!.reason);
  if (signal?.aborted) forward();
  else signal?.addEventListener('abort', forward, { once: true });
  try {
    return await run(deadline.signal);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', forward);
  }
}
