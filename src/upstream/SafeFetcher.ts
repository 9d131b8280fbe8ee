import { Readable } from 'node:stream';
import { IntegrityError } from '../collection/IntegrityStream';
import {
  DisallowedHostError,
  RedirectError,
  ResponseTooLargeError,
  UpstreamHttpError,
} from './errors';
import { startDownloadClock } from './guardDownload';
import { HostPolicy } from './HostPolicy';
import { DEFAULT_DOWNLOAD_LIMITS, DownloadLimits } from './limits';
import { discardBody } from './readBoundedBody';
import { parseRetryAfter } from '../lib/retry';
import { UpstreamTransport } from './UpstreamTransport';
import { redactUrl } from './urls';

// The gate's errors, where the collector has always imported them from.
export { DisallowedHostError, RedirectError, UpstreamHttpError };

/** Options of {@link SafeFetcher}. */
export interface SafeFetcherOptions {
  /**
   * The plugin's shared transport, and with it the one host policy of
   * discovery and collection. When given, the connection options below
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
 * 5xx, 408 and 429 are; refused hosts, other 4xx, redirect loops and
 * integrity mismatches are not. Unknown errors count as retryable, since
 * the queue's attempt limit bounds them anyway.
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
 * Streams GET requests to upstream file URIs, and only to allowed hosts.
 *
 * Requests go through the {@link UpstreamTransport} that discovery uses
 * too: every URI and every redirect hop is checked against the one
 * {@link HostPolicy}, and the address a host name resolves to is checked
 * when the connection is made. Each download runs against a deadline and
 * a minimum transfer rate, so a trickling upstream fails with a retryable
 * error instead of holding a worker.
 */
export class SafeFetcher {
  private readonly transport: UpstreamTransport;
  private readonly ownsTransport: boolean;
  private readonly download: DownloadLimits;

  constructor(options: SafeFetcherOptions) {
    this.download = { ...DEFAULT_DOWNLOAD_LIMITS, ...definedOnly(options.download) };
    if (options.transport) {
      this.transport = options.transport;
      this.ownsTransport = false;
      return;
    }
    const policy = new HostPolicy({
      allowPrivateAddresses: options.allowPrivateAddresses,
    }).allow(options.allowedHosts ?? [], 'default');
    this.transport = new UpstreamTransport({
      policy,
      maxRedirects: options.maxRedirects,
      connectTimeoutMs: options.connectTimeoutMs,
      headersTimeoutMs: options.headersTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      userAgent: options.userAgent,
    });
    this.ownsTransport = true;
  }

  /**
   * Starts a GET and resolves once a 2xx response's headers arrived. The
   * caller must consume or destroy the body.
   *
   * @throws DisallowedHostError, UpstreamHttpError, RedirectError, or a
   *   network error (see {@link isRetryable})
   */
  async fetch(
    uri: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<FetchedBody> {
    const clock = startDownloadClock(uri, this.download, options.signal);
    let opened;
    try {
      opened = await this.transport.open(uri, {
        headers: { accept: '*/*' },
        signal: clock.signal,
      });
    } catch (error) {
      clock.stop();
      throw error;
    }
    const { statusCode, headers } = opened;
    if (statusCode < 200 || statusCode >= 300) {
      clock.stop();
      // Never read, so never echoed.
      await discardBody(opened.body);
      throw new UpstreamHttpError(
        redactUrl(opened.url),
        statusCode,
        parseRetryAfter(headers['retry-after']),
      );
    }
    const length = Number(headers['content-length']);
    const known = Number.isSafeInteger(length) && length >= 0;
    const contentType = headers['content-type'];
    return {
      body: clock.meter(opened.body),
      size: known ? length : undefined,
      url: opened.url,
      contentType: Array.isArray(contentType) ? contentType[0] : contentType,
    };
  }

  /** Closes pooled connections, unless the transport is shared. */
  async close(): Promise<void> {
    if (this.ownsTransport) await this.transport.close();
  }
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(value ?? {}).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
