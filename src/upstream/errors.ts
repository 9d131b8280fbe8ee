import { CustomErrorBase } from '@backstage/errors';

/**
 * A URI was refused because its scheme, host, port or resolved address is
 * not allowed. Never worth retrying.
 */
export class DisallowedHostError extends CustomErrorBase {
  name = 'DisallowedHostError' as const;
}

/** The upstream answered with a status other than 2xx (after redirects). */
export class UpstreamHttpError extends CustomErrorBase {
  name = 'UpstreamHttpError' as const;

  constructor(
    /** The URL that answered, without credentials or query. */
    readonly url: string,
    readonly statusCode: number,
    /** From a Retry-After header, when the upstream sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(`GET ${url} answered ${statusCode}`);
  }
}

/** More redirects than allowed, or a redirect without a location. */
export class RedirectError extends CustomErrorBase {
  name = 'RedirectError' as const;
}

/** A response body is larger than the configured limit; not worth retrying. */
export class ResponseTooLargeError extends CustomErrorBase {
  name = 'ResponseTooLargeError' as const;
}

/**
 * A transfer took longer than its deadline or ran slower than the minimum
 * rate. Transient: the code makes it retryable wherever network timeouts are.
 */
export class TransferTimeoutError extends CustomErrorBase {
  name = 'TransferTimeoutError' as const;
  readonly code = 'ETIMEDOUT';
}

/**
 * Whether an error is a refusal or limit of the gate, which retrying cannot
 * change; a URL no reader of the UrlReaderService may read (NotAllowedError)
 * is refused as well.
 */
export function isGateRefusal(error: unknown): boolean {
  return (
    error instanceof DisallowedHostError ||
    error instanceof RedirectError ||
    error instanceof ResponseTooLargeError ||
    (error as Error)?.name === 'NotAllowedError'
  );
}
