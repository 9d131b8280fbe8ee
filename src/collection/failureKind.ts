import { FileErrorKind } from '../types';
import { IntegrityError } from './IntegrityStream';
import { UpstreamHttpError } from '../upstream/SafeFetcher';

/** How the collector treats a failed attempt. */
export interface FailureVerdict {
  /** Whether the error may go away by itself, recorded with the file. */
  kind: FileErrorKind;
  /** Whether another attempt follows (within the attempt limit). */
  retry: boolean;
  /** The upstream's Retry-After, as a minimum delay of the next attempt. */
  retryAfterMs?: number;
}

/** Errors of the blob store or our own validation that no retry changes. */
const PERMANENT_NAMES = new Set(['ConflictError', 'InputError', 'NotAllowedError']);

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e && chain.length < 5; e = (e as { cause?: unknown }).cause) {
    chain.push(e);
  }
  return chain;
}

/**
 * Classifies a failed attempt: transient (network, timeouts, 5xx, 408, 429
 * and unknown errors — `isRetryable` decides) or permanent (other 4xx,
 * refused hosts and redirects, integrity mismatches, key clashes).
 *
 * An integrity mismatch is permanent, so a parked one is never queued again
 * on its own, but is still tried up to the attempt limit: a proxy that
 * corrupted one transfer may not corrupt the next.
 */
export function classifyFailure(
  error: unknown,
  isRetryable: (error: unknown) => boolean,
): FailureVerdict {
  const chain = causes(error);
  if (chain.some(e => e instanceof IntegrityError)) {
    return { kind: 'permanent', retry: true };
  }
  if (chain.some(e => PERMANENT_NAMES.has((e as Error)?.name)) || !isRetryable(error)) {
    return { kind: 'permanent', retry: false };
  }
  const http = chain.find((e): e is UpstreamHttpError => e instanceof UpstreamHttpError);
  return {
    kind: 'transient',
    retry: true,
    ...(http?.retryAfterMs !== undefined ? { retryAfterMs: http.retryAfterMs } : {}),
  };
}
