import {
  UrlReaderService,
  UrlReaderServiceReadTreeResponse,
  UrlReaderServiceReadUrlOptions,
  UrlReaderServiceReadUrlResponse,
  UrlReaderServiceSearchResponse,
} from '@backstage/backend-plugin-api';
import { NotAllowedError, NotFoundError, NotModifiedError } from '@backstage/errors';
import { Readable } from 'node:stream';
import { parseRetryAfter } from '../lib/retry';
import { UpstreamHttpError } from './errors';
import { discardBody } from './readBoundedBody';
import { UpstreamTransport } from './UpstreamTransport';
import { redactUrl } from './urls';

/**
 * What Backpack's reader answers: a `readUrl` response plus what the
 * transport knew, which Backstage's response type has no field for.
 * Readers of other hosts answer without these.
 */
export interface GatedReadUrlResponse extends UrlReaderServiceReadUrlResponse {
  stream(): Readable;
  /** The URL that answered, after redirects. */
  url: string;
  /** From Content-Length, when the upstream sent it. */
  size?: number;
  contentType?: string;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function parseDate(value: string | undefined): Date | undefined {
  const time = value ? Date.parse(value) : NaN;
  return Number.isNaN(time) ? undefined : new Date(time);
}

/**
 * The body of any reader's response as a stream; readers without
 * `stream()` (optional in Backstage's API) have their buffer streamed.
 */
export function responseStream(response: UrlReaderServiceReadUrlResponse): Readable {
  if (response.stream) return response.stream();
  return Readable.from(
    (async function* chunks() {
      yield await response.buffer();
    })(),
  );
}

/**
 * Backpack's upstream gate as a Backstage URL reader, for the hosts
 * Backpack's host policy names: every request and redirect hop goes
 * through the {@link UpstreamTransport} (host policy per hop, address check
 * at connect time, connect/header/idle timeouts). It sends no credentials:
 * a `token` option is ignored, and integrations' tokens are never used for
 * these hosts.
 *
 * `readUrl` resolves once a 2xx answer's headers arrived; the body streams
 * unread, and callers bound how much and how long they read. 304 is a
 * NotModifiedError, 404 a NotFoundError, other answers UpstreamHttpError (with Retry-After); refusals are the
 * gate's own errors (DisallowedHostError, RedirectError).
 */
export class GatedUrlReader implements UrlReaderService {
  constructor(private readonly transport: UpstreamTransport) {}

  async readUrl(
    url: string,
    options: UrlReaderServiceReadUrlOptions = {},
  ): Promise<GatedReadUrlResponse> {
    // Files are fetched as they are stored: no content coding is asked
    // for, and none is undone, so digests cover the upstream's bytes.
    const headers: Record<string, string> = { accept: '*/*' };
    if (options.etag) headers['if-none-match'] = options.etag;
    if (options.lastModifiedAfter) {
      headers['if-modified-since'] = options.lastModifiedAfter.toUTCString();
    }
    const opened = await this.transport.open(url, { headers, signal: options.signal });
    const { statusCode, headers: answer, body } = opened;
    if (statusCode < 200 || statusCode >= 300) {
      // Never read, so never echoed.
      await discardBody(body);
      if (statusCode === 304) throw new NotModifiedError();
      const error = new UpstreamHttpError(
        redactUrl(opened.url),
        statusCode,
        parseRetryAfter(answer['retry-after']),
      );
      if (statusCode === 404) throw new NotFoundError(error.message);
      throw error;
    }
    const length = Number(answer['content-length']);
    let used = false;
    const take = () => {
      if (used) throw new Error(`${redactUrl(opened.url)}: the response body was read already`);
      used = true;
      return body;
    };
    return {
      url: opened.url,
      size: Number.isSafeInteger(length) && length >= 0 ? length : undefined,
      contentType: header(answer['content-type']),
      etag: header(answer.etag),
      lastModifiedAt: parseDate(header(answer['last-modified'])),
      stream: take,
      async buffer() {
        const chunks: Buffer[] = [];
        for await (const chunk of take()) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      },
    };
  }

  async readTree(): Promise<UrlReaderServiceReadTreeResponse> {
    throw new NotAllowedError("Backpack's upstream reader reads single files, not trees");
  }

  async search(): Promise<UrlReaderServiceSearchResponse> {
    throw new NotAllowedError("Backpack's upstream reader reads single files, not searches");
  }

  toString(): string {
    return 'backpack{gated}';
  }
}
