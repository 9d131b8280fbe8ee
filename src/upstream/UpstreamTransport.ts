import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { DisallowedHostError, RedirectError } from './errors';
import { HostPolicy } from './HostPolicy';
import { redactUrl } from './urls';
import { errorMessage } from '../lib/errorMessage';

/** Options of {@link UpstreamTransport}. */
export interface UpstreamTransportOptions {
  policy: HostPolicy;
  /** Redirects followed per request. Default 5. */
  maxRedirects?: number;
  /** Time to establish a connection (TCP and TLS). Default 10000. */
  connectTimeoutMs?: number;
  /** Longest pause between two body chunks. Default 30000. */
  idleTimeoutMs?: number;
  /** Longest wait for response headers. Defaults to `idleTimeoutMs`. */
  headersTimeoutMs?: number;
  /** Default `backpack`. */
  userAgent?: string;
}

/** A response whose headers arrived; the caller consumes or destroys `body`. */
export interface OpenedResponse {
  /** The URL that answered, after redirects. */
  url: string;
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Readable;
}

/**
 * The one way Backpack sends a request upstream, for discovery and
 * collection alike: GETs through a pooled connection agent whose DNS
 * lookups pass the {@link HostPolicy} address check at connect time, and
 * redirects followed by hand, each hop checked against the policy before
 * it is requested. Responses are handed back unread; callers bound how
 * much and how long they read.
 */
export class UpstreamTransport {
  readonly policy: HostPolicy;
  private readonly maxRedirects: number;
  private readonly userAgent: string;
  private readonly agent: Agent;

  /** A transport for `backpack.upstream`, allowing `backpack.allowedHosts` as the operator's. */
  static fromConfig(config: Config): UpstreamTransport {
    const upstream = config.getOptionalConfig('backpack.upstream');
    const policy = new HostPolicy();
    try {
      policy.allow(config.getOptionalStringArray('backpack.allowedHosts') ?? [], 'operator');
    } catch (error) {
      throw new InputError(`backpack.allowedHosts: ${errorMessage(error)}`);
    }
    return new UpstreamTransport({
      policy,
      maxRedirects: upstream?.getOptionalNumber('maxRedirects'),
      connectTimeoutMs: upstream?.getOptionalNumber('connectTimeoutMs'),
      idleTimeoutMs: upstream?.getOptionalNumber('idleTimeoutMs'),
    });
  }

  constructor(options: UpstreamTransportOptions) {
    this.policy = options.policy;
    this.maxRedirects = options.maxRedirects ?? 5;
    this.userAgent = options.userAgent ?? 'backpack';
    const idle = options.idleTimeoutMs ?? 30_000;
    this.agent = new Agent({
      connect: {
        timeout: options.connectTimeoutMs ?? 10_000,
        lookup: this.policy.lookup,
      },
      headersTimeout: options.headersTimeoutMs ?? idle,
      bodyTimeout: idle,
    });
  }

  /**
   * GETs `url`, following redirects (not 304) within the policy. Resolves
   * with the first non-redirect response, whatever its status.
   *
   * @throws DisallowedHostError for a refused URL or hop, RedirectError, or
   *   a network error
   */
  async open(
    uri: string,
    options: { headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<OpenedResponse> {
    let url = this.policy.check(uri);
    for (let redirects = 0; ; redirects++) {
      const response = await request(url, {
        method: 'GET',
        dispatcher: this.agent,
        signal: options.signal,
        headers: { 'user-agent': this.userAgent, ...options.headers },
      });
      const { statusCode, headers, body } = response;
      const isRedirect = statusCode >= 300 && statusCode < 400 && statusCode !== 304;
      if (!isRedirect) {
        return { url: url.toString(), statusCode, headers, body };
      }
      // Release the connection; a redirect's body is never read.
      await body.dump().catch(() => {});
      const location = Array.isArray(headers.location) ? headers.location[0] : headers.location;
      if (!location) {
        throw new RedirectError(`${redactUrl(url)} redirected without a location`);
      }
      if (redirects >= this.maxRedirects) {
        throw new RedirectError(
          `${redactUrl(uri)} redirected more than ${this.maxRedirects} times`,
        );
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new RedirectError(`${redactUrl(url)} redirected to an invalid location`);
      }
      if (url.protocol === 'https:' && next.protocol === 'http:') {
        // Metadata carries the digests files are verified against; a
        // downgrade would let anyone on the path rewrite them.
        throw new RedirectError(`${redactUrl(url)} redirected from https to http`);
      }
      try {
        url = this.policy.check(next);
      } catch (error) {
        if (error instanceof DisallowedHostError) {
          throw new DisallowedHostError(
            `${redactUrl(url)} redirected to a refused location: ${error.message}`,
          );
        }
        throw error;
      }
    }
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await this.agent.close();
  }
}
