import { isError } from '@backstage/errors';

/**
 * What to record or show of anything thrown: an error's message, or the
 * thrown value as text. One spelling, so recorded errors read alike.
 */
export function errorMessage(error: unknown): string {
  return isError(error) ? error.message : String(error);
}

/**
 * Anything thrown as an `Error`, for APIs that take one (audit events,
 * abort reasons, failure callbacks): an `Error` as it is, anything else
 * wrapped with its text as the message.
 */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
