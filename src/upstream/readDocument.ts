import { UrlReaderService } from '@backstage/backend-plugin-api';
import { DiscoveryValidators } from '../processors/types';
import { UpstreamHttpError } from './errors';
import { GatedReadUrlResponse, responseStream } from './GatedUrlReader';
import { readBoundedStream } from './readBoundedBody';
import { explainRefusal } from './readerErrors';
import type { UpstreamResponse } from './UpstreamClient';

/**
 * The status a reader's error stands for when it is an answer the caller
 * decides about, as `get` returns it: 304, 404 and 4xx other than 408/429.
 */
function answeredStatus(error: unknown): number | undefined {
  const name = (error as Error)?.name;
  if (name === 'NotModifiedError') return 304;
  if (name === 'NotFoundError') return 404;
  if (error instanceof UpstreamHttpError) {
    const { statusCode } = error;
    if (statusCode >= 400 && statusCode < 500 && statusCode !== 408 && statusCode !== 429) {
      return statusCode;
    }
  }
  return undefined;
}

function emptyAnswer(url: string, status: number, validators: DiscoveryValidators): UpstreamResponse {
  return {
    url,
    status,
    headers: new Headers(),
    body: Buffer.alloc(0),
    notModified: status === 304,
    validators,
  };
}

/**
 * One conditional GET of a metadata document through a URL reader, read
 * under `maxBytes` and answered as the transport's responses are: 304,
 * 404 and other 4xx (but 408 and 429) as answers with an empty body; 429,
 * 5xx, refusals and network errors thrown. Of the headers, readers tell
 * only ETag and Last-Modified; Backpack's own says which URL answered
 * after redirects.
 */
export async function readDocument(
  reader: UrlReaderService,
  url: string,
  options: { signal: AbortSignal; validators?: DiscoveryValidators; maxBytes: number },
): Promise<UpstreamResponse> {
  const { signal, validators } = options;
  const since = validators?.lastModified ? new Date(validators.lastModified) : undefined;
  let response: Awaited<ReturnType<UrlReaderService['readUrl']>> & Partial<GatedReadUrlResponse>;
  try {
    response = await reader.readUrl(url, {
      signal,
      etag: validators?.etag,
      lastModifiedAfter: since && !Number.isNaN(since.getTime()) ? since : undefined,
    });
  } catch (error) {
    const status = answeredStatus(error);
    if (status === undefined) throw explainRefusal(error, url);
    // Unchanged, so the validators sent still hold.
    return emptyAnswer(
      error instanceof UpstreamHttpError ? error.url : url,
      status,
      status === 304 ? validators ?? {} : {},
    );
  }
  const answered = response.url ?? url;
  const body = responseStream(response);
  // Readers that ignore the signal still stop at the deadline.
  const onAbort = () => body.destroy(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  const lastModified = response.lastModifiedAt?.toUTCString();
  // What a reader tells of the answer's headers: its validators.
  const headers = new Headers();
  if (response.etag) headers.set('etag', response.etag);
  if (lastModified) headers.set('last-modified', lastModified);
  try {
    return {
      url: answered,
      status: 200,
      headers,
      body: await readBoundedStream(body, {
        maxBytes: options.maxBytes,
        limitName: 'backpack.upstream.maxMetadataBytes',
        url: answered,
        size: response.size,
      }),
      notModified: false,
      validators: { etag: response.etag, lastModified },
    };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
