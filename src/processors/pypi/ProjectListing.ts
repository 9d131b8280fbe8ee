import { parseUpstreamJson } from '../../upstream/readBoundedBody';
import { leavesBasePath, redactUrl } from '../../upstream/urls';
import { UpstreamClient, UpstreamResponse } from '../../upstream/UpstreamClient';
import { DiscoveryValidators } from '../types';
import { ReleaseMetadata } from './coreMetadata';
import { PypiJsonFile } from './distributionFiles';

/** A release and its files, as an index lists them. */
export interface PypiRelease {
  version: string;
  files: PypiJsonFile[];
}

/**
 * A project as read from an index, whichever API served it. Indexes list
 * files in one document but metadata per release, so `requiresDist` is
 * asked only for releases that are kept.
 */
export interface ProjectListing {
  notModified: false;
  releases: PypiRelease[];
  /** The release the index calls the latest, when it says. */
  latest?: string;
  validators: DiscoveryValidators;
  /** URL of the listing document; relative file URLs resolve against it. */
  url: string;
  /** `Requires-Dist` and license of a release; undefined when the index cannot tell. */
  releaseMetadata(release: PypiRelease): Promise<ReleaseMetadata | undefined>;
}

/** What a reader of an index API needs. */
export interface ListingRequest {
  upstream: UpstreamClient;
  /** Index base URL without a trailing slash. */
  index: string;
  /** Normalised project name. */
  id: string;
  validators?: DiscoveryValidators;
  signal?: AbortSignal;
  /** Reports what the listing leaves out (unsafe versions or file URLs). */
  warn?: (message: string) => void;
}

/**
 * The absolute URL of a file a listing names, resolved against the
 * listing's URL; undefined (with a warning) when it is on the index's own
 * host but outside the index's base path, e.g. `../../other-repo/x.whl`.
 * Files on other hosts are left to the host policy, which allows only
 * the configured file hosts.
 */
export function resolveFileUrl(
  request: ListingRequest,
  raw: string,
  listingUrl: string,
): string | undefined {
  let url: string;
  try {
    url = new URL(raw, listingUrl).href;
  } catch {
    request.warn?.(`${request.id}: skipping a file with an invalid URL`);
    return undefined;
  }
  if (leavesBasePath(request.index, url)) {
    request.warn?.(
      `${request.id}: skipping ${redactUrl(url)}, which is outside the index ${redactUrl(request.index)}`,
    );
    return undefined;
  }
  return url;
}

/**
 * Reads a project from an index: `notModified` when the validators still
 * match, undefined when the index has no such project.
 */
export type ProjectListingReader = (
  request: ListingRequest,
) => Promise<ProjectListing | { notModified: true } | undefined>;

/**
 * GETs a listing document, conditionally when validators are given: a
 * plain GET through the URL reader, or with `accept` (content negotiation,
 * which a URL reader cannot ask for) through the gated client directly.
 * Returns undefined for 404 and throws for other failures.
 */
export async function getListing(
  request: ListingRequest,
  url: string,
  accept?: string,
): Promise<UpstreamResponse | undefined> {
  const { upstream, validators, signal } = request;
  let response: UpstreamResponse;
  if (accept === undefined) {
    response = await upstream.read(url, { validators, signal });
  } else {
    const headers: Record<string, string> = { accept };
    if (validators?.etag || validators?.lastModified) {
      // fetch() sends `Cache-Control: no-cache` with conditional requests
      // unless told otherwise, and caches honouring it never answer 304.
      headers['cache-control'] = 'max-age=0';
    }
    response = await upstream.get(url, { headers, validators, signal });
  }
  if (response.status === 404) return undefined;
  if (response.status !== 200 && !response.notModified) {
    throw new Error(`GET ${redactUrl(response.url)} answered ${response.status}`);
  }
  return response;
}

/** Parses a JSON body, naming the document when it is malformed. */
export function parseJsonBody<T>(response: UpstreamResponse): T {
  return parseUpstreamJson<T>(response.body, response.url);
}
