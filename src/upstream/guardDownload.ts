import { Readable, Transform, pipeline } from 'node:stream';
import { TransferTimeoutError } from './errors';
import { DownloadLimits } from './limits';
import { redactUrl } from './urls';

/**
 * Starts the clock of one download: an overall deadline from the request
 * to the body's last byte, and a minimum average rate checked every
 * window. Either fails the download by aborting its signal, which the
 * reader turns into an error of the body stream (and the metered stream
 * turns into its own error, for readers that ignore signals), so the
 * consumer (and the blob store upload it feeds) sees a retryable error.
 */
export function startDownloadClock(
  url: string,
  limits: DownloadLimits,
  callerSignal?: AbortSignal,
): {
  signal: AbortSignal;
  /** Wraps the response body so its bytes count towards the rate. */
  meter(body: Readable): Readable;
  stop(): void;
} {
  const controller = new AbortController();
  const shown = redactUrl(url);
  const deadline = setTimeout(
    () =>
      controller.abort(
        new TransferTimeoutError(
          `GET ${shown} did not complete within ${limits.timeoutMs / 1000} s (backpack.collection.download.timeoutSeconds)`,
        ),
      ),
    limits.timeoutMs,
  );
  let rateTimer: NodeJS.Timeout | undefined;
  // The caller's abort goes through this download's controller: cheaper
  // than `AbortSignal.any` on a path taken once per file, and the listener
  // is removed when the clock stops, so none piles up on the caller's signal.
  const forward = () => controller.abort(callerSignal!.reason);
  if (callerSignal?.aborted) forward();
  else callerSignal?.addEventListener('abort', forward, { once: true });
  const stop = () => {
    clearTimeout(deadline);
    clearInterval(rateTimer);
    callerSignal?.removeEventListener('abort', forward);
  };
  const signal = controller.signal;

  const meter = (body: Readable): Readable => {
    let windowBytes = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        windowBytes += chunk.length;
        callback(null, chunk);
      },
    });
    if (limits.minBytesPerSecond > 0) {
      const minimum = (limits.minBytesPerSecond * limits.rateWindowMs) / 1000;
      rateTimer = setInterval(() => {
        if (windowBytes < minimum) {
          controller.abort(
            new TransferTimeoutError(
              `GET ${shown} transferred ${windowBytes} bytes in ${
                limits.rateWindowMs / 1000
              } s, slower than ${limits.minBytesPerSecond} bytes/s (backpack.collection.download.minBytesPerSecond)`,
            ),
          );
        }
        windowBytes = 0;
      }, limits.rateWindowMs);
    }
    // A reader that does not heed the signal is stopped here, so the
    // limits hold whichever reader streams the body.
    const onAbort = () => counted.destroy(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    // Ends the clock however the body ends; destroying `counted` (the
    // consumer giving up) destroys the response too.
    pipeline(body, counted, () => {
      signal.removeEventListener('abort', onAbort);
      stop();
    });
    if (signal.aborted) onAbort();
    return counted;
  };
  return { signal, meter, stop };
}
