import { Config } from '@backstage/config';
import { Semaphore } from '../lib/Semaphore';
import { DiscoveryValidators } from './types';

/** Politeness settings for talking to upstream registries. */
export interface UpstreamClientOptions {
  /** Requests in flight at once per upstream host. */
  maxConcurrencyPerHost: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** Retries after the first attempt on network errors, 5xx and 429. */
  retries: number;
  /** Base delay of the exponential backoff. */
  backoffMs: number;
  /** Upper bound of a delay asked for with Retry-After. */
  maxRetryAfterMs: number;
}

/** A fully read upstream response. */
export interface UpstreamResponse {
  url: string;
  status: number;
  headers: Headers;
  body: Buffer;
  /** The server answered 304 to a conditional request. */
  notModified: boolean;
  validators: DiscoveryValidators;
}

const DEFAULTS: UpstreamClientOptions = {
  maxConcurrencyPerHost: 8,
  timeoutMs: 30_000,
  retries: 3,
  backoffMs: 250,
  maxRetryAfterMs: 60_000,
};

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * The only way processors talk HTTP: bounded concurrency per host, timeouts,
 * retries with backoff on network errors, 5xx and 429 (honouring
 * Retry-After), and conditional requests from stored validators.
 */
export class UpstreamClient {
  private readonly options: UpstreamClientOptions;
  private readonly hosts = new Map<string, Semaphore>();
  /** Requests sent and 304s received, for observing incremental runs. */
  readonly counters = { requests: 0, notModified: 0, retries: 0 };

  static fromConfig(config?: Config): UpstreamClient {
    return new UpstreamClient({
      maxConcurrencyPerHost: config?.getOptionalNumber('maxConcurrencyPerHost'),
      timeoutMs: config?.getOptionalNumber('timeoutMs'),
      retries: config?.getOptionalNumber('retries'),
      backoffMs: config?.getOptionalNumber('backoffMs'),
    });
  }

  constructor(options: Partial<UpstreamClientOptions> = {}) {
    const defined = Object.fromEntries(
      Object.entries(options).filter(([, v]) => v !== undefined),
    );
    this.options = { ...DEFAULTS, ...defined };
  }

  /**
   * GETs a URL. 404 and other 4xx answers are returned, not thrown; the
   * caller decides what they mean. Throws after the last retry otherwise.
   */
  async get(
    url: string,
    init: {
      headers?: Record<string, string>;
      validators?: DiscoveryValidators;
      signal?: AbortSignal;
    } = {},
  ): Promise<UpstreamResponse> {
    const host = new URL(url).host;
    let semaphore = this.hosts.get(host);
    if (!semaphore) {
      semaphore = new Semaphore(this.options.maxConcurrencyPerHost);
      this.hosts.set(host, semaphore);
    }
    const headers: Record<string, string> = { ...init.headers };
    if (init.validators?.etag) headers['if-none-match'] = init.validators.etag;
    if (init.validators?.lastModified) {
      headers['if-modified-since'] = init.validators.lastModified;
    }
    if (init.validators?.etag || init.validators?.lastModified) {
      // fetch() adds `Cache-Control: no-cache` to conditional requests unless
      // the caller set one, and servers such as verdaccio then never answer
      // 304; max-age=0 asks for revalidation, which is what we mean.
      headers['cache-control'] ??= 'max-age=0';
    }

    for (let attempt = 0; ; attempt++) {
      let delay: number | undefined;
      let failure: Error | undefined;
      try {
        const response = await semaphore.use(() => this.attempt(url, headers, init.signal));
        if (response.status === 429 || response.status >= 500) {
          failure = new Error(`GET ${url} answered ${response.status}`);
          delay = retryAfterMs(response.headers.get('retry-after'));
        } else {
          return response;
        }
      } catch (error) {
        if (init.signal?.aborted) throw error;
        failure = error as Error;
      }
      if (attempt >= this.options.retries) throw failure;
      this.counters.retries += 1;
      const backoff = this.options.backoffMs * 2 ** attempt * (0.5 + Math.random() / 2);
      await sleep(Math.min(delay ?? backoff, this.options.maxRetryAfterMs), init.signal);
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
    return { response, json: JSON.parse(response.body.toString('utf8')) as T };
  }

  private async attempt(
    url: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<UpstreamResponse> {
    this.counters.requests += 1;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const response = await fetch(url, {
      headers,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status === 304) this.counters.notModified += 1;
    return {
      url,
      status: response.status,
      headers: response.headers,
      body,
      notModified: response.status === 304,
      validators: {
        etag: response.headers.get('etag') ?? undefined,
        lastModified: response.headers.get('last-modified') ?? undefined,
      },
    };
  }
}
