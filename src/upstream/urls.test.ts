import { parseRetryAfter, retryDelayMs } from '../lib/retry';
import {
  isPathSegment,
  isUnderBase,
  leavesBasePath,
  redactUrl,
  UnsafeUpstreamPathError,
  upstreamUrl,
} from './urls';

describe('upstream URLs', () => {
  const base = 'https://repo.example/m2';

  it('builds URLs under their base from segments, encoding what needs it', () => {
    expect(upstreamUrl(base, ['org', 'x', '1.0+b', 'x-1.0+b.pom'])).toBe(
      'https://repo.example/m2/org/x/1.0+b/x-1.0+b.pom',
    );
    expect(upstreamUrl(`${base}/`, ['a b', '%2e%2e', '?q', '#f'])).toBe(
      'https://repo.example/m2/a%20b/%252e%252e/%3Fq/%23f',
    );
  });

  it('refuses segments that would change the shape of the path', () => {
    for (const segment of ['', '.', '..', '../x', 'a/b', 'a\\b', 'a\u0000b', '\n']) {
      expect(() => upstreamUrl(base, ['org', segment])).toThrow(UnsafeUpstreamPathError);
    }
  });

  it('tells whether a URL stays under a base after normalisation', () => {
    expect(isUnderBase(base, `${base}/org/x`)).toBe(true);
    expect(isUnderBase(base, base)).toBe(true);
    expect(isUnderBase(base, `${base}/../secret`)).toBe(false);
    expect(isUnderBase(base, `${base}/%2e%2e/secret`)).toBe(false);
    expect(isUnderBase(base, 'https://repo.example/m2-other/x')).toBe(false);
    expect(isUnderBase(base, 'http://repo.example/m2/x')).toBe(false);
    expect(isUnderBase(base, 'https://repo.example:8443/m2/x')).toBe(false);
    expect(isUnderBase('https://pypi.org', 'https://pypi.org/simple/x/')).toBe(true);
    // Another host is left to the host policy, the same host outside the base is not.
    expect(leavesBasePath(base, 'https://files.example/x')).toBe(false);
    expect(leavesBasePath(base, 'https://repo.example/other/x')).toBe(true);
  });

  it('accepts only plain path segments as upstream versions', () => {
    for (const good of ['1.0', '1.0-SNAPSHOT', '2.0.0.RELEASE', '1.0+build.1', 'r05']) {
      expect(isPathSegment(good)).toBe(true);
    }
    for (const bad of ['', '.', '..', '../../..', '1.0/../x', '%2e%2e', '1 0', 'a?b', 'x'.repeat(256)]) {
      expect(isPathSegment(bad)).toBe(false);
    }
  });

  it('shows URLs without credentials, query or fragment', () => {
    expect(redactUrl('http://user:pw@127.0.0.1:8080/admin?q=secret#x')).toBe(
      'http://127.0.0.1:8080/admin?…',
    );
    expect(redactUrl('https://r.example')).toBe('https://r.example');
    expect(redactUrl('not a url')).toBe('(invalid URL)');
  });
});

describe('retry delays', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(['0'])).toBe(0);
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('prefers Retry-After to the backoff, within the maximum', () => {
    expect(retryDelayMs({ attempt: 3, baseMs: 250, maxMs: 60_000, retryAfterMs: 5000 })).toBe(5000);
    expect(retryDelayMs({ attempt: 0, baseMs: 250, maxMs: 60_000, retryAfterMs: 3_600_000 })).toBe(
      60_000,
    );
    const backoff = retryDelayMs({ attempt: 2, baseMs: 100, maxMs: 60_000 });
    expect(backoff).toBeGreaterThanOrEqual(200);
    expect(backoff).toBeLessThanOrEqual(400);
  });
});
