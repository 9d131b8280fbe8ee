import { Config } from '@backstage/config';
import { IncomingHttpHeaders } from 'node:http';
import { Semaphore } from '../lib/Semaphore';
import { isGateRefusal, TransferTimeoutError, UpstreamHttpError } from './errors';
import { HostPolicy } from './HostPolicy';
import {
  discardBody,
  METADATA_ACCEPT_ENCODING,
  parseUpstreamJson,
  readBoundedBody,
} from './readBoundedBody';
import { parseRetryAfter, retryDelayMs, sleep } from '../lib/retry';
import { UpstreamAuthenticator, UpstreamTransport } from './UpstreamTransport';
import { redactUrl } from './urls';
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

const DEFAULTS: UpstreamClientOptions = {
  maxConcurrencyPerHost: 8,
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

/**
 * The only way processors talk HTTP: every request goes through the
 * shared {@link UpstreamTransport} (host policy per hop, address check at
 * connect time), bounded concurrency per host, a deadline per attempt that
 * covers the body, bodies read under `maxMetadataBytes`, retries with
 * backoff on network errors, 5xx and 429 (honouring Retry-After), and
 * conditional requests from stored validators.
 */
export class UpstreamClient {
  private readonly options: UpstreamClientOptions;
  private readonly hosts = new Map<string, Semaphore>();
  private readonly transport: UpstreamTransport;
  /** Requests sent and 304s received, for observing incremental runs. */
  readonly counters = { requests: 0, notModified: 0, retries: 0 };

  /**
   * Reads `backpack.upstream` (the section, not the root). Without a
   * transport the client gets its own, with an empty host policy that the
   * processors register their upstreams into.
   */
  static fromConfig(config?: Config, transport?: UpstreamTransport): UpstreamClient {
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
    );
  }

  constructor(options: Partial<UpstreamClientOptions> = {}, transport?: UpstreamTransport) {
    const defined = Object.fromEntries(
      Object.entries(options).filter(([, v]) => v !== undefined),
    );
    this.options = { ...DEFAULTS, ...defined };
    this.transport = transport ?? new UpstreamTransport({ policy: new HostPolicy() });
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
    // Refused URLs fail before they take a slot or a retry.
    const host = this.policy.check(url).host;
    let semaphore = this.hosts.get(host);
    if (!semaphore) {
      semaphore = new Semaphore(this.options.maxConcurrencyPerHost);
      this.hosts.set(host, semaphore);
    }
    const headers: Record<string, string> = {
      'accept-encoding': METADATA_ACCEPT_ENCODING,
      ...init.headers,
    };
    if (init.validators?.etag) headers['if-none-match'] = init.validators.etag;
    if (init.validators?.lastModified) {
      headers['if-modified-since'] = init.validators.lastModified;
    }

    for (let attempt = 0; ; attempt++) {
      let retryAfterMs: number | undefined;
      let failure: unknown;
      try {
        const response = await semaphore.use(() =>
          this.attempt(url, headers, init.signal, init.authenticate),
        );
        if (response.status === 429 || response.status >= 500) {
          retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
          failure = new UpstreamHttpError(redactUrl(response.url), response.status, retryAfterMs);
        } else {
          return response;
        }
      } catch (error) {
        if (init.signal?.aborted || isGateRefusal(error)) throw error;
        failure = error;
      }
      if (attempt >= this.options.retries) throw failure;
      this.counters.retries += 1;
      const delay = retryDelayMs({
        attempt,
        baseMs: this.options.backoffMs,
        maxMs: this.options.maxRetryAfterMs,
        retryAfterMs,
      });
      await sleep(delay, init.signal);
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

  private async attempt(
    url: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
    authenticate?: boolean,
  ): Promise<UpstreamResponse> {
    this.counters.requests += 1;
    const { timeoutMs, maxMetadataBytes } = this.options;
    const deadline = new AbortController();
    const timer = setTimeout(
      () =>
        deadline.abort(
          new TransferTimeoutError(
            `GET ${redactUrl(url)} did not complete within ${timeoutMs} ms (backpack.upstream.timeoutMs)`,
          ),
        ),
      timeoutMs,
    );
    try {
      const opened = await this.transport.open(url, {
        headers,
        authenticate,
        // A signal per attempt: listeners never pile up on the caller's.
        signal: signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal,
      });
      let body: Buffer;
      if (opened.statusCode === 200) {
        body = await readBoundedBody(opened, {
          maxBytes: maxMetadataBytes,
          limitName: 'backpack.upstream.maxMetadataBytes',
        });
      } else {
        // Bodies of other answers are never read, so never echoed.
        await discardBody(opened.body);
        body = Buffer.alloc(0);
      }
      const responseHeaders = toHeaders(opened.headers);
      if (opened.statusCode === 304) this.counters.notModified += 1;
      return {
        url: opened.url,
        status: opened.statusCode,
        headers: responseHeaders,
        body,
        notModified: opened.statusCode === 304,
        validators: {
          etag: responseHeaders.get('etag') ?? undefined,
          lastModified: responseHeaders.get('last-modified') ?? undefined,
        },
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the transport's pooled connections. */
  async close(): Promise<void> {
    await this.transport.close();
  }
}
