import { UpstreamResponse } from './UpstreamClient';

/** The `rel="next"` target of a response's `Link` header (GitHub-style paging), as written. */
export function nextLink(response: UpstreamResponse): string | undefined {
  const link = response.headers.get('link');
  const match = link ? /<([^>]*)>\s*;\s*rel="?next"?/i.exec(link) : null;
  return match?.[1];
}
