import { UrlReaderService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { IncomingHttpHeaders } from 'node:http';
import { Semaphore } from '../lib/Semaphore';
import { isGateRefusal, UpstreamHttpError } from './errors';
import { GatedUrlReader } from './GatedUrlReader';
import { HostPolicy, parseFetchableUrl } from './HostPolicy';
import {
  discardBody,
  METADATA_ACCEPT_ENCODING,
  parseUpstreamJson,
  readBoundedBody,
} from './readBoundedBody';
import { readerErrorRetryable } from './readerErrors';
import { readDocument } from './readDocument';
import { parseRetryAfter, retryDelayMs, sleep } from '../lib/retry';
import { UpstreamAuthenticator, UpstreamTransport } from './UpstreamTransport';
import { redactUrl } from './urls';
import { underDeadline } from './underDeadline';
import { DiscoveryValidators } from '../processors/types';

/** Politeness settings for talking to upstream registries. */
export interface UpstreamClientOptions {
  /** Requests in flight at once per upstream host. */
  maxConcurrencyPerHost: number;
  /** Deadline of one attempt, from sending the request to the body's last byte. */
  timeoutMs: number;
  /** Retries after the first attempt on network errors, 5xx and 429. */
  retries: number;
  /** Base delay of the exponential backoff. */
  backoffMs: number;
  /** Upper bound of a delay asked for with Retry-After. */
  maxRetryAfterMs: number;
  /** Largest metadata document read, after content decoding. */
  maxMetadataBytes: number;
}

/** A fully read upstream response. */
export interface UpstreamResponse {
  /** The URL that answered, after redirects. */
  url: string;
  status: number;
  headers: Headers;
  body: Buffer;
  /** The server answered 304 to a conditional request. */
  notModified: boolean;
  validators: DiscoveryValidators;
}

/**
 * 64 MiB: the abbreviated packuments of the largest npm packages are a
 * few MiB and their full packuments (thousands of versions with readmes)
 * some tens of MiB; more than that is an attack or a mistake, and the
 * parsed document costs several times its size in memory.
 */
export const DEFAULT_MAX_METADATA_BYTES = 64 * 1024 * 1024;

/** Requests in flight per upstream host when `backpack.upstream.maxConcurrencyPerHost` is not set. */
export const DEFAULT_MAX_CONCURRENCY_PER_HOST = 8;

const DEFAULTS: UpstreamClientOptions = {
  maxConcurrencyPerHost: DEFAULT_MAX_CONCURRENCY_PER_HOST,
  timeoutMs: 30_000,
  retries: 3,
  backoffMs: 250,
  maxRetryAfterMs: 60_000,
  maxMetadataBytes: DEFAULT_MAX_METADATA_BYTES,
};

function toHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined) continue;
      try {
        headers.append(name, item);
      } catch {
        // A header value fetch's Headers refuses is one Backpack never reads.
      }
    }
  }
  return headers;
}

/** A header as `Headers.get` reads it: repeated values joined. */
function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The only way processors talk HTTP, with bounded concurrency per host, a
 * deadline per attempt that covers the body, bodies read under
 * `maxMetadataBytes`, retries with backoff on network errors, 5xx and 429
 * (honouring Retry-After), and conditional requests from stored
 * validators. Two ways in:
 *
 * - `read`/`readJson`, for plain GETs: through the plugin's
 *   UrlReaderService, which hands Backpack's hosts to its gated reader and
 *   others to Backstage's readers, as files are collected;
 * - `get`/`getJson`, for requests that need headers a URL reader cannot
 *   send (content negotiation, compression): through the shared
 *   {@link UpstreamTransport} (host policy per hop, address check at
 *   connect time) directly.
 */
export class UpstreamClient {
  private readonly options: UpstreamClientOptions;
  private readonly hosts = new Map<string, Semaphore>();
  private readonly transport: UpstreamTransport;
  private readonly reader: UrlReaderService;
  /** Requests sent and 304s received, for observing incremental runs. */
  readonly counters = { requests: 0, notModified: 0, retries: 0 };

  /**
   * Reads `backpack.upstream` (the section, not the root). Without a
   * transport the client gets its own, with an empty host policy that the
   * processors register their upstreams into; without a reader, `read`
   * goes through a {@link GatedUrlReader} of the transport.
   */
  static fromConfig(
    config?: Config,
    transport?: UpstreamTransport,
    reader?: UrlReaderService,
  ): UpstreamClient {
    return new UpstreamClient(
      {
        maxConcurrencyPerHost: config?.getOptionalNumber('maxConcurrencyPerHost'),
        timeoutMs: config?.getOptionalNumber('timeoutMs'),
        retries: config?.getOptionalNumber('retries'),
        backoffMs: config?.getOptionalNumber('backoffMs'),
        maxRetryAfterMs: config?.getOptionalNumber('maxRetryAfterMs'),
        maxMetadataBytes: config?.getOptionalNumber('maxMetadataBytes'),
      },
      transport,
      reader,
    );
  }

  constructor(
    options: Partial<UpstreamClientOptions> = {},
    transport?: UpstreamTransport,
    reader?: UrlReaderService,
  ) {
    const defined = Object.fromEntries(
      Object.entries(options).filter(([, v]) => v !== undefined),
    );
    this.options = { ...DEFAULTS, ...defined };
    this.transport = transport ?? new UpstreamTransport({ policy: new HostPolicy() });
    this.reader = reader ?? new GatedUrlReader(this.transport);
  }

  /** The host policy every request of this client passes; processors register their upstreams here. */
  get policy(): HostPolicy {
    return this.transport.policy;
  }

  /**
   * Applies a protocol's authenticator to the requests of discovery and
   * collection to matching URLs (see {@link UpstreamTransport.addAuthenticator}).
   */
  addAuthenticator(matches: (url: URL) => boolean, authenticator: UpstreamAuthenticator): void {
    this.transport.addAuthenticator(matches, authenticator);
  }

  /**
   * GETs a URL. 404 and other 4xx answers are returned, not thrown, with
   * an empty body; the caller decides what they mean. Throws after the
   * last retry otherwise, and at once for refusals of the host policy and
   * documents over the size limit. `authenticate: false` leaves the
   * authenticators out (a token request itself).
   */
  async get(
    url: string,
    init: {
      headers?: Record<string, string>;
      validators?: DiscoveryValidators;
      signal?: AbortSignal;
      authenticate?: boolean;
    } = {},
  ): Promise<UpstreamResponse> {
    // Refused URLs fail before they take a slot or a retry; the transport
    // checks the parsed URL again when it sends it.
    const checked = this.policy.check(url);
    const host = checked.host;
    const headers: Record<string, string> = {
      'accept-encoding': METADATA_ACCEPT_ENCODING,
      ...init.headers,
    };
    if (init.validators?.etag) headers['if-none-match'] = init.validators.etag;
    if (init.validators?.lastModified) {
      headers['if-modified-since'] = init.validators.lastModified;
    }
    return this.withRetries(host, init.signal, () =>
      this.attempt(checked, headers, init.signal, init.authenticate),
    );
  }

  /**
   * GETs a URL through the UrlReaderService, conditionally when validators
   * are given: for plain GETs, which a URL reader can send. Answers as
   * {@link UpstreamClient.get} does (404 and other 4xx returned with an
   * empty body, 304 as `notModified`), with the body under the same cap;
   * of the response headers only ETag and Last-Modified.
   */
  async read(
    url: string,
    init: { validators?: DiscoveryValidators; signal?: AbortSignal } = {},
  ): Promise<UpstreamResponse> {
    // Refused URLs fail before they take a slot or a retry; the reader
    // that claims the host checks the rest.
    const { host } = parseFetchableUrl(url);
    return this.withRetries(host, init.signal, () => this.readAttempt(url, init));
  }

  /** Reads and parses JSON through the UrlReaderService; `json` is undefined unless 200. */
  async readJson<T>(
    url: string,
    init: Parameters<UpstreamClient['read']>[1] = {},
  ): Promise<{ response: UpstreamResponse; json?: T }> {
    const response = await this.read(url, init);
    if (response.status !== 200) return { response };
    return { response, json: parseUpstreamJson<T>(response.body, response.url) };
  }

  /** Runs attempts within the host's slots, retrying what may pass later. */
  private async withRetries(
    host: string,
    signal: AbortSignal | undefined,
    attempt: () => Promise<UpstreamResponse>,
  ): Promise<UpstreamResponse> {
    let semaphore = this.hosts.get(host);
    if (!semaphore) {
      semaphore = new Semaphore(this.options.maxConcurrencyPerHost);
      this.hosts.set(host, semaphore);
    }
    for (let count = 0; ; count++) {
      let retryAfterMs: number | undefined;
      let failure: unknown;
      try {
        const response = await semaphore.use(attempt);
        if (response.status === 429 || response.status >= 500) {
          retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
          failure = new UpstreamHttpError(redactUrl(response.url), response.status, retryAfterMs);
        } else {
          return response;
        }
      } catch (error) {
        if (signal?.aborted || isGateRefusal(error) || readerErrorRetryable(error) === false) {
          throw error;
        }
        failure = error;
        if (error instanceof UpstreamHttpError) retryAfterMs = error.retryAfterMs;
      }
      if (count >= this.options.retries) throw failure;
      this.counters.retries += 1;
      const delay = retryDelayMs({
        attempt: count,
        baseMs: this.options.backoffMs,
        maxMs: this.options.maxRetryAfterMs,
        retryAfterMs,
      });
      await sleep(delay, signal);
    }
  }

  /** GETs and parses JSON; returns undefined for 404. */
  async getJson<T>(
    url: string,
    init: Parameters<UpstreamClient['get']>[1] = {},
  ): Promise<{ response: UpstreamResponse; json?: T }> {
    const response = await this.get(url, {
      ...init,
      headers: { accept: 'application/json', ...init.headers },
    });
    if (response.status !== 200) return { response };
    return { response, json: parseUpstreamJson<T>(response.body, response.url) };
  }

  /** Runs one attempt under the deadline of `timeoutMs`, which covers the body. */
  private withDeadline<T>(
    url: string | URL,
    signal: AbortSignal | undefined,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    this.counters.requests += 1;
    return underDeadline(url, this.options.timeoutMs, signal, run);
  }

  private attempt(
    url: URL,
    headers: Record<string, string>,
    signal?: AbortSignal,
    authenticate?: boolean,
  ): Promise<UpstreamResponse> {
    return this.withDeadline(url, signal, async attemptSignal => {
      const opened = await this.transport.open(url, { headers, authenticate, signal: attemptSignal, metadata: true });
      let body: Buffer;
      if (opened.statusCode === 200) {
        body = await readBoundedBody(opened, {
          maxBytes: this.options.maxMetadataBytes,
          limitName: 'backpack.upstream.maxMetadataBytes',
        });
      } else {
        // Bodies of other answers are never read, so never echoed.
        await discardBody(opened.body);
        body = Buffer.alloc(0);
      }
      if (opened.statusCode === 304) this.counters.notModified += 1;
      // Built when first read: a fetch Headers validates and copies every
      // header, and most answers (a run's 304s) are read for their status
      // and validators only.
      const raw = opened.headers;
      let parsed: Headers | undefined;
      return {
        url: opened.url,
        status: opened.statusCode,
        get headers() {
          return (parsed ??= toHeaders(raw));
        },
        body,
        notModified: opened.statusCode === 304,
        validators: {
          etag: headerValue(raw.etag),
          lastModified: headerValue(raw['last-modified']),
        },
      };
    });
  }

  private readAttempt(
    url: string,
    init: { validators?: DiscoveryValidators; signal?: AbortSignal },
  ): Promise<UpstreamResponse> {
    return this.withDeadline(url, init.signal, async signal => {
      const response = await readDocument(this.reader, url, {
        signal,
        validators: init.validators,
        maxBytes: this.options.maxMetadataBytes,
      });
      if (response.notModified) this.counters.notModified += 1;
      return response;
    });
  }

  /** Closes the transport's pooled connections. */
  async close(): Promise<void> {
    await this.transport.close();
  }
}
