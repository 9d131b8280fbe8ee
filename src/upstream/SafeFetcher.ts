import {
  UrlReaderService,
  UrlReaderServiceReadUrlResponse,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { Readable } from 'node:stream';
import { IntegrityError } from '../collection/IntegrityStream';
import {
  DisallowedHostError,
  RedirectError,
  ResponseTooLargeError,
  UpstreamHttpError,
} from './errors';
import { GatedReadUrlResponse, GatedUrlReader, responseStream } from './GatedUrlReader';
import { startDownloadClock } from './guardDownload';
import { HostPolicy, parseFetchableUrl } from './HostPolicy';
import { DEFAULT_DOWNLOAD_LIMITS, DownloadLimits } from './limits';
import { explainRefusal, readerErrorRetryable } from './readerErrors';
import { UpstreamTransport } from './UpstreamTransport';
import { redactUrl } from './urls';

// The gate's errors, where the collector has always imported them from.
export { DisallowedHostError, RedirectError, UpstreamHttpError };

/** Options of {@link SafeFetcher}. */
export interface SafeFetcherOptions {
  /**
   * The reader files come through: the plugin's UrlReaderService. When
   * given, the options below but `download` are not used.
   */
  reader?: UrlReaderService;
  /**
   * With a reader: whether it hands a URL to Backpack's reader (the host
   * policy's `owns`). Files without a declared digest are read only then.
   */
  gated?: (url: URL) => boolean;
  /**
   * Without a reader: the plugin's shared transport, and with it the one
   * host policy of discovery and collection, read through a
   * {@link GatedUrlReader}. When given, the connection options below
   * (`allowedHosts` to `userAgent`) are not used.
   */
  transport?: UpstreamTransport;
  /** Deadline and minimum rate of each download. */
  download?: Partial<DownloadLimits>;
  /**
   * Without a transport: hosts that may be fetched from, `host` (default
   * port of the scheme only), `host:port`, `[ipv6]:port`, or an IP address.
   * Names are compared case-insensitively and may only resolve to public
   * addresses (or `allowPrivateAddresses`); an IP address listed here may
   * be connected to even when it is private or loopback.
   */
  allowedHosts?: string[];
  /**
   * Without a transport: addresses or CIDR ranges (e.g. `10.1.0.0/16`,
   * `::1`) that allowed host names may resolve to although they are
   * private, loopback or link-local.
   */
  allowPrivateAddresses?: string[];
  /** Default 5. */
  maxRedirects?: number;
  /** Time to establish a connection (TCP and TLS). Default 10000. */
  connectTimeoutMs?: number;
  /** Time to wait for response headers. Default 30000. */
  headersTimeoutMs?: number;
  /** Longest pause between two body chunks. Default 30000. */
  idleTimeoutMs?: number;
  /** Default `backpack`. */
  userAgent?: string;
}

/** A response body being streamed. */
export interface FetchedBody {
  body: Readable;
  /** From Content-Length, when the upstream sent it. */
  size?: number;
  /** The URL after redirects. */
  url: string;
  contentType?: string;
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/**
 * Whether collecting again later may succeed: network failures, timeouts,
 * 5xx, 408 and 429 are; refused hosts, missing files, other 4xx, redirect
 * loops and integrity mismatches are not, whichever reader reported them
 * (see {@link readerErrorRetryable}). Unknown errors count as retryable,
 * since the queue's attempt limit bounds them anyway.
 */
export function isRetryable(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    if (e instanceof UpstreamHttpError) {
      return (
        e.statusCode >= 500 || e.statusCode === 429 || e.statusCode === 408
      );
    }
    if (
      e instanceof DisallowedHostError ||
      e instanceof RedirectError ||
      e instanceof ResponseTooLargeError ||
      e instanceof IntegrityError
    ) {
      return false;
    }
    const verdict = readerErrorRetryable(e);
    if (verdict !== undefined) return verdict;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && RETRYABLE_CODES.has(code)) {
      return true;
    }
    if (code === 'ENOTFOUND') {
      return false;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return true;
}

/**
 * Streams files for the collector through a URL reader, under the download
 * limits: each download runs against a deadline and a minimum transfer
 * rate, whichever reader serves it, so a trickling upstream fails with a
 * retryable error instead of holding a worker.
 *
 * In the plugin the reader is the backend's UrlReaderService, which hands
 * the hosts of Backpack's {@link HostPolicy} to Backpack's
 * {@link GatedUrlReader} (every URI and redirect hop checked, the address
 * checked at connect time) and other hosts to Backstage's readers
 * (`backend.reading.allow`, `integrations.*`). Without a reader, the
 * fetcher reads through a GatedUrlReader of its own.
 */
export class SafeFetcher {
  private readonly reader: UrlReaderService;
  private readonly gated: (url: URL) => boolean;
  private readonly ownTransport?: UpstreamTransport;
  private readonly download: DownloadLimits;

  constructor(options: SafeFetcherOptions) {
    this.download = { ...DEFAULT_DOWNLOAD_LIMITS, ...definedOnly(options.download) };
    if (options.reader) {
      this.reader = options.reader;
      this.gated = options.gated ?? (() => false);
      return;
    }
    this.gated = () => true;
    if (options.transport) {
      this.reader = new GatedUrlReader(options.transport);
      return;
    }
    const policy = new HostPolicy({
      allowPrivateAddresses: options.allowPrivateAddresses,
    }).allow(options.allowedHosts ?? [], 'default');
    this.ownTransport = new UpstreamTransport({
      policy,
      maxRedirects: options.maxRedirects,
      connectTimeoutMs: options.connectTimeoutMs,
      headersTimeoutMs: options.headersTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      userAgent: options.userAgent,
    });
    this.reader = new GatedUrlReader(this.ownTransport);
  }

  /**
   * Starts a GET and resolves once a 2xx response's headers arrived. The
   * caller must consume or destroy the body.
   *
   * With `gatedOnly` (a file without a declared digest), only a URL that
   * Backpack's reader reads is fetched: upstream metadata names file URLs,
   * and bytes nothing verifies must not come through readers that carry
   * integrations' credentials.
   *
   * @throws DisallowedHostError, UpstreamHttpError, RedirectError,
   *   NotFoundError, NotAllowedError (no reader may read the URI, or
   *   `gatedOnly` and not Backpack's), or a network error (see
   *   {@link isRetryable})
   */
  async fetch(
    uri: string,
    options: { signal?: AbortSignal; gatedOnly?: boolean } = {},
  ): Promise<FetchedBody> {
    const url = parseFetchableUrl(uri);
    if (options.gatedOnly && !this.gated(url)) {
      throw new NotAllowedError(
        `${redactUrl(url)}: the upstream declares no digest, and unverified files are read only from Backpack's hosts (its upstreams and backpack.allowedHosts), never through Backstage's readers`,
      );
    }
    const clock = startDownloadClock(uri, this.download, options.signal);
    let response: UrlReaderServiceReadUrlResponse & Partial<GatedReadUrlResponse>;
    let body: Readable;
    try {
      response = await this.reader.readUrl(uri, { signal: clock.signal });
      body = responseStream(response);
    } catch (error) {
      clock.stop();
      // A reader may wrap the deadline's error in its own; the deadline says why.
      throw clock.signal.aborted ? clock.signal.reason ?? error : explainRefusal(error, uri);
    }
    return {
      body: clock.meter(body),
      size: response.size,
      url: response.url ?? uri,
      contentType: response.contentType,
    };
  }

  /** Closes pooled connections of a transport of its own. */
  async close(): Promise<void> {
    await this.ownTransport?.close();
  }
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(value ?? {}).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
