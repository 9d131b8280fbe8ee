import { NotAllowedError } from '@backstage/errors';
import { redactUrl } from './urls';

/**
 * Backstage's URL readers throw NotFoundError, NotModifiedError and
 * NotAllowedError as such, but report refused redirects, redirect loops,
 * unusable URLs and other HTTP answers as plain Errors whose message is all
 * there is, e.g. FetchUrlReader's `could not read <url>, 403 Forbidden` and
 * GithubUrlReader's `Request failed for <url>, 403 Forbidden (rate limit
 * exceeded)`. Pinned by readerErrors.test.ts against the real readers.
 */
const REFUSALS = [
  /^URL not allowed by backend\.reading\.allow/,
  /^Too many redirects/,
  /^Incorrect URL: /,
];

/** `…, <status> <status text>` at the end of a message. */
const STATUS = /, (\d{3})\b[^,]*$/;

/**
 * Whether trying a failed read again may succeed, for what Backstage's URL
 * readers throw: not for missing files, refusals and 4xx answers, but for
 * 5xx, 408, 429 and rate limits. Undefined when the error does not say.
 */
export function readerErrorRetryable(error: unknown): boolean | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'NotFoundError' || error.name === 'NotAllowedError') return false;
  const { message } = error;
  if (REFUSALS.some(pattern => pattern.test(message))) return false;
  const status = STATUS.exec(message);
  if (!status) return undefined;
  const code = Number(status[1]);
  if (message.includes('rate limit exceeded')) return true;
  return code >= 500 || code === 408 || code === 429;
}

/**
 * The UrlReaderService's refusal of a URL no reader claims, said in
 * Backpack's terms (which settings would allow it) and without the URL's
 * query; other errors as they are.
 */
export function explainRefusal(error: unknown, url: string): unknown {
  if (!(error instanceof Error) || error.name !== 'NotAllowedError') return error;
  if (!error.message.startsWith('Reading from ')) return error;
  let host = '(invalid URL)';
  try {
    host = new URL(url).host;
  } catch {
    // Named as invalid.
  }
  return new NotAllowedError(
    `Host ${host} is not in the allowed hosts: Backpack reads its upstreams and backpack.allowedHosts, Backstage's readers backend.reading.allow and integrations.* (${redactUrl(url)})`,
  );
}
