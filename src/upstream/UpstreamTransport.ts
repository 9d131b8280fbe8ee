import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { DisallowedHostError, RedirectError } from './errors';
import { HostPolicy } from './HostPolicy';
import { dispatchGet } from './dispatchGet';
import { discardBody } from './readBoundedBody';
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

/**
 * What a protocol adds to the requests to its hosts, registered with
 * {@link UpstreamTransport.addAuthenticator}: credentials, and the content
 * negotiation it needs (e.g. the OCI manifest media types), so that
 * discovery and collection (which knows nothing of protocols) both send
 * them.
 */
export interface UpstreamAuthenticator {
  /**
   * An Accept header this URL needs, replacing the caller's; it is kept on
   * redirects like the caller's own headers. Never a credential.
   */
  accept?(url: URL): string | undefined;
  /** The Authorization header for a request to this URL, when one is known. */
  authorization(url: URL, signal?: AbortSignal): Promise<string | undefined>;
  /**
   * Called once per hop when this URL answered 401, with its
   * `WWW-Authenticate` values: obtains credentials (e.g. a registry token)
   * and answers whether a retry may succeed.
   */
  challenge(url: URL, wwwAuthenticate: string[], signal?: AbortSignal): Promise<boolean>;
}

/** Headers that carry credentials: never sent on to another origin. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

function headerValues(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
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
  private readonly authenticators: Array<{
    matches: (url: URL) => boolean;
    authenticator: UpstreamAuthenticator;
  }> = [];

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
   * Applies an authenticator to every request, and every redirect hop,
   * whose URL `matches` (first registration wins), for discovery and
   * collection alike. Its credentials go to matching URLs only: a redirect
   * elsewhere (a blob CDN) goes without them.
   */
  addAuthenticator(matches: (url: URL) => boolean, authenticator: UpstreamAuthenticator): void {
    this.authenticators.push({ matches, authenticator });
  }

  private authenticatorFor(url: URL): UpstreamAuthenticator | undefined {
    return this.authenticators.find(entry => entry.matches(url))?.authenticator;
  }

  /**
   * GETs `url`, following redirects (not 304) within the policy. Resolves
   * with the first non-redirect response, whatever its status. A hop whose
   * authenticator answers a 401 challenge is retried once with the new
   * credentials; `authenticate: false` sends none (a token request itself).
   * Credential headers of the caller are dropped on a hop to another origin.
   *
   * @throws DisallowedHostError for a refused URL or hop, RedirectError, or
   *   a network error
   */
  async open(
    uri: string | URL,
    options: {
      headers?: Record<string, string>;
      signal?: AbortSignal;
      authenticate?: boolean;
      /**
       * A metadata document, read whole under a cap: sent through undici's
       * `dispatch` (see {@link dispatchGet}), cheaper per request; files
       * keep `request`'s bodies, tuned for throughput.
       */
      metadata?: boolean;
    } = {},
  ): Promise<OpenedResponse> {
    let url = this.policy.check(uri);
    const origin = url.origin;
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...options.headers };
    const first = options.authenticate === false ? undefined : this.authenticatorFor(url);
    const accept = first?.accept?.(url);
    if (accept) {
      for (const name of Object.keys(headers)) if (name.toLowerCase() === 'accept') delete headers[name];
      headers.accept = accept;
    }
    for (let redirects = 0; ; redirects++) {
      // The first hop is the caller's URL: its authenticator is known and
      // its headers go as they are (a run sends thousands of such requests).
      const authenticator =
        redirects === 0 || options.authenticate === false ? first : this.authenticatorFor(url);
      let hopHeaders = headers;
      if (redirects > 0 && url.origin !== origin) {
        hopHeaders = { ...headers };
        for (const name of Object.keys(hopHeaders)) {
          if (CREDENTIAL_HEADERS.includes(name.toLowerCase())) delete hopHeaders[name];
        }
      }
      let response = await this.send(url, hopHeaders, authenticator, options.signal, options.metadata);
      if (response.statusCode === 401 && authenticator) {
        const challenges = headerValues(response.headers['www-authenticate']);
        // Never read, so never echoed; the connection is free meanwhile.
        await discardBody(response.body);
        const retry = await authenticator.challenge(url, challenges, options.signal);
        response = retry
          ? await this.send(url, hopHeaders, authenticator, options.signal, options.metadata)
          : { ...response, body: Readable.from([]) };
      }
      const { statusCode, headers: answer, body } = response;
      const isRedirect = statusCode >= 300 && statusCode < 400 && statusCode !== 304;
      if (!isRedirect) {
        return { url: url.toString(), statusCode, headers: answer, body };
      }
      // Release the connection; a redirect's body is never read.
      await discardBody(body);
      const location = Array.isArray(answer.location) ? answer.location[0] : answer.location;
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

  /** One request of one hop, with the authenticator's credentials for its URL. */
  private async send(
    url: URL,
    headers: Record<string, string>,
    authenticator: UpstreamAuthenticator | undefined,
    signal?: AbortSignal,
    metadata?: boolean,
  ): Promise<{ statusCode: number; headers: IncomingHttpHeaders; body: Readable }> {
    const authorization = authenticator && (await authenticator.authorization(url, signal));
    const sent = authorization ? { ...headers, authorization } : headers;
    if (metadata) return dispatchGet(this.agent, url, sent, signal);
    return request(url, {
      method: 'GET',
      dispatcher: this.agent,
      signal,
      headers: sent,
    });
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await this.agent.close();
  }
}
