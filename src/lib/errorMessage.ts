import { isError } from '@backstage/errors';

/**
 * What to record or show of anything thrown: an error's message, or the
 * thrown value as text. One spelling, so recorded errors read alike.
 */
export function errorMessage(error: unknown): string {
  return isError(error) ? error.message : String(error);
}
