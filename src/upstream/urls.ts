import { CustomErrorBase } from '@backstage/errors';

/** A URL built from upstream strings would leave the upstream's base path. */
export class UnsafeUpstreamPathError extends CustomErrorBase {
  name = 'UnsafeUpstreamPathError' as const;
}

/**
 * A URL as it may appear in errors and logs: without credentials, query
 * or fragment, which may carry secrets (`?token=`), and never throwing.
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    return '(invalid URL)';
  }
  const query = parsed.search ? '?…' : '';
  const path = parsed.pathname === '/' && !query ? '' : parsed.pathname;
  return `${parsed.protocol}//${parsed.host}${path}${query}`;
}

/** RFC 3986 `pchar` without percent-encoding: what a segment may hold as is. */
const PLAIN_SEGMENT = /^[A-Za-z0-9._~!$&'()*+,;=:@-]+$/;

/**
 * Whether a string may be used as one path segment of an upstream URL as
 * it is: only RFC 3986 path characters (no `/`, `\`, `%`, `?`, `#`, spaces
 * or controls), not `.` or `..`, at most 255 characters.
 */
export function isPathSegment(value: string): boolean {
  return (
    typeof value === 'string' &&
    value.length <= 255 &&
    value !== '.' &&
    value !== '..' &&
    PLAIN_SEGMENT.test(value)
  );
}

function basePath(base: URL): string {
  return base.pathname.replace(/\/+$/, '');
}

/**
 * Whether `url` lies under `base` (same scheme, host and port, and a path
 * at or below the base path) once both are normalised, so that `..`,
 * `%2e%2e` or a different authority cannot hide an escape.
 */
export function isUnderBase(base: string | URL, url: string | URL): boolean {
  let b: URL;
  let u: URL;
  try {
    b = new URL(String(base));
    u = new URL(String(url));
  } catch {
    return false;
  }
  if (b.protocol !== u.protocol || b.host !== u.host) return false;
  const prefix = basePath(b);
  return u.pathname === prefix || u.pathname.startsWith(`${prefix}/`);
}

/** Whether `url` is on the origin of `base` but outside its path. */
export function leavesBasePath(base: string | URL, url: string | URL): boolean {
  try {
    const b = new URL(String(base));
    const u = new URL(String(url));
    return b.protocol === u.protocol && b.host === u.host && !isUnderBase(b, u);
  } catch {
    return true;
  }
}

/**
 * `<base>/<segment>/…` with each segment percent-encoded where needed, for
 * paths built from upstream or caller strings (names, versions). Refuses
 * segments that could change the path's shape (empty, `.`, `..`, slashes,
 * backslashes, control characters) and, as a last check, any result that
 * is not under `base` after normalisation.
 *
 * @throws UnsafeUpstreamPathError
 */
export function upstreamUrl(base: string, segments: readonly string[]): string {
  const encoded = segments.map(segment => {
    if (
      typeof segment !== 'string' ||
      segment === '' ||
      segment === '.' ||
      segment === '..' ||
      // eslint-disable-next-line no-control-regex
      /[/\\\u0000-\u001f\u007f]/.test(segment)
    ) {
      throw new UnsafeUpstreamPathError(
        `refusing to build an upstream URL under ${redactUrl(base)} from the path segment ${JSON.stringify(
          String(segment).slice(0, 100),
        )}`,
      );
    }
    return segment.replace(/[^A-Za-z0-9._~!$&'()*+,;=:@-]/gu, c => encodeURIComponent(c));
  });
  const url = `${base.replace(/\/+$/, '')}/${encoded.join('/')}`;
  if (!isUnderBase(base, url)) {
    throw new UnsafeUpstreamPathError(`${redactUrl(url)} is not under ${redactUrl(base)}`);
  }
  return url;
}
