import { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { Dispatcher, errors } from 'undici';

/** A response whose headers arrived; the caller consumes or destroys `body`. */
export interface DispatchedResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Readable;
}

/** Response headers as undici's `request` gives them: lower-case names, repeated ones as arrays. */
function parseHeaders(raw: Buffer[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toString('latin1').toLowerCase();
    const value = raw[i + 1].toString('utf8');
    const known = headers[name];
    if (known === undefined) headers[name] = value;
    else if (typeof known === 'string') headers[name] = [known, value];
    else known.push(value);
  }
  return headers as IncomingHttpHeaders;
}

/**
 * The body of a dispatched response: read through the usual stream API,
 * with the socket paused while it is not read. Destroyed before its end,
 * it aborts the request, so the connection is not reused half-read.
 */
class DispatchedBody extends Readable {
  complete = false;

  constructor(
    private readonly resumeSocket: () => void,
    private readonly abortRequest: (error: Error) => void,
  ) {
    super({ highWaterMark: 64 * 1024 });
  }

  override _read(): void {
    this.resumeSocket();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.complete) this.abortRequest(error ?? new errors.RequestAbortedError());
    callback(error);
  }

  /**
   * Consumes an unwanted body, as undici's own bodies do: at once when it
   * was empty and complete (a run's thousands of 304s), otherwise read up
   * to `limit` bytes and then destroyed.
   */
  async dump(options: { limit: number }): Promise<void> {
    if (this.complete && this.readableLength === 0) {
      this.destroy();
      return;
    }
    let left = options.limit;
    await new Promise<void>(resolve => {
      this.on('close', () => resolve())
        .on('error', () => {})
        .on('data', (chunk: Buffer) => {
          left -= chunk.length;
          if (left <= 0) this.destroy();
        })
        .resume();
    });
  }
}

/**
 * What undici's `dispatch` calls back for one GET: the promise settles
 * with the headers (or the error before them), the body is fed to a
 * {@link DispatchedBody}, and the caller's signal aborts the request or
 * destroys the body, as `request` does.
 */
class GetHandler implements Dispatcher.DispatchHandlers {
  private abort?: (error: Error) => void;
  private body?: DispatchedBody;
  private reason?: Error;
  private settled = false;

  constructor(
    private readonly resolve: (response: DispatchedResponse) => void,
    private readonly reject: (error: unknown) => void,
    private readonly signal: AbortSignal | undefined,
  ) {
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = () => {
    const reason: Error = this.signal!.reason ?? new errors.RequestAbortedError();
    this.reason = reason;
    if (this.body) this.body.destroy(reason);
    else this.abort?.(reason);
  };

  private done(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
  }

  onConnect(abort: (error?: Error) => void): void {
    if (this.reason) abort(this.reason);
    else this.abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null, resume: () => void): boolean {
    // Informational answers (100 Continue) precede the response.
    if (statusCode < 200) return true;
    const abort = this.abort!;
    const body = new DispatchedBody(resume, error => abort(error));
    this.body = body;
    body.on('close', () => this.done());
    this.settled = true;
    this.resolve({ statusCode, headers: parseHeaders((rawHeaders ?? []) as Buffer[]), body });
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.body!.push(chunk);
  }

  onComplete(): void {
    this.body!.complete = true;
    this.body!.push(null);
  }

  onError(error: Error): void {
    this.done();
    if (!this.settled) {
      this.settled = true;
      this.reject(error);
    } else if (this.body && !this.body.destroyed) {
      // After its listeners of the same tick, as undici does.
      const body = this.body;
      queueMicrotask(() => body.destroy(error));
    }
  }
}

/**
 * One GET through undici's `dispatch`, answered as its `request` answers
 * (status, lower-cased headers, the body as a stream; rejected with the
 * signal's reason when aborted), for the requests a run sends by the
 * thousand: `request` wraps each in an async resource and its own body
 * class, which costs about as much CPU again as the request itself.
 */
export function dispatchGet(
  dispatcher: Dispatcher,
  url: URL,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<DispatchedResponse> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new errors.RequestAbortedError());
      return;
    }
    const handler = new GetHandler(resolve, reject, signal);
    try {
      dispatcher.dispatch(
        { origin: url.origin, path: `${url.pathname}${url.search}`, method: 'GET', headers },
        handler,
      );
    } catch (error) {
      handler.onError(error as Error);
    }
  });
}
