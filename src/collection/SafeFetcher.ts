import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Readable } from 'node:stream';
import { CustomErrorBase } from '@backstage/errors';
import { Agent, request } from 'undici';
import { IntegrityError } from './IntegrityStream';

/**
 * A URI was refused because its scheme, host, port or resolved address is
 * not allowed. Never worth retrying.
 */
export class DisallowedHostError extends CustomErrorBase {
  name = 'DisallowedHostError' as const;
}

/** The upstream answered with a status other than 2xx (after redirects). */
export class UpstreamHttpError extends CustomErrorBase {
  name = 'UpstreamHttpError' as const;

  constructor(
    readonly url: string,
    readonly statusCode: number,
    /** From a Retry-After header, when the upstream sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(`GET ${url} answered ${statusCode}`);
  }
}

/** More redirects than allowed, or a redirect without a location. */
export class RedirectError extends CustomErrorBase {
  name = 'RedirectError' as const;
}

/** Options of {@link SafeFetcher}. */
export interface SafeFetcherOptions {
  /**
   * Hosts that may be fetched from: `host` (default port of the scheme
   * only), `host:port`, `[ipv6]:port`, or an IP address. Names are compared
   * case-insensitively. An IP address listed here may be connected to even
   * when it is private or loopback.
   */
  allowedHosts: string[];
  /**
   * Addresses or CIDR ranges (e.g. `10.1.0.0/16`, `::1`) that allowed host
   * names may resolve to although they are private, loopback or link-local.
   * Everything else non-public is refused, so a DNS answer cannot point the
   * collector at internal services.
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

/** Ranges that are not publicly routable, as CIDR. */
const NON_PUBLIC_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
];
const NON_PUBLIC_V6 = [
  '::/128',
  '::1/128',
  '100::/64',
  '2001:db8::/32',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
];

/** `a.b.c.d` as the last 32 bits of an IPv6 address, e.g. `a00:0`. */
function v4AsV6Suffix(address: string): string {
  const [a, b, c, d] = address.split('.').map(Number);
  // eslint-disable-next-line no-bitwise
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

function addCidr(list: BlockList, cidr: string) {
  const [address, bits] = cidr.split('/');
  const family = isIP(address);
  if (family === 0) {
    throw new DisallowedHostError(`Not an IP address or range: ${cidr}`);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (bits === undefined) {
    list.addAddress(address, type);
  } else {
    list.addSubnet(address, Number(bits), type);
  }
  if (family === 4) {
    // The same range as IPv4-mapped and NAT64 IPv6 addresses.
    const prefix = 96 + Number(bits ?? 32);
    for (const v6 of ['::ffff:', '64:ff9b::']) {
      list.addSubnet(`${v6}${v4AsV6Suffix(address)}`, prefix, 'ipv6');
    }
  }
}

const nonPublic = new BlockList();
NON_PUBLIC_V4.forEach(cidr => addCidr(nonPublic, cidr));
NON_PUBLIC_V6.forEach(cidr => addCidr(nonPublic, cidr));

function stripBrackets(host: string) {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function familyOf(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

interface HostRule {
  host: string;
  port?: number;
}

function parseHostRule(entry: string): HostRule {
  const text = entry.trim().toLowerCase();
  if (text.includes('://')) {
    const url = new URL(text);
    return {
      host: stripBrackets(url.hostname),
      port: url.port ? Number(url.port) : undefined,
    };
  }
  if (isIP(text) === 6) {
    return { host: text };
  }
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text);
  if (!match) {
    throw new DisallowedHostError(`Invalid allowed host entry: ${entry}`);
  }
  return {
    host: stripBrackets(match[1]),
    port: match[2] ? Number(match[2]) : undefined,
  };
}

function parseRetryAfter(value: string | string[] | undefined) {
  const header = Array.isArray(value) ? value[0] : value;
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
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
 * Every URI, and every redirect hop (followed manually), must use http or
 * https and name an allowed host and port. The address a host name resolves
 * to is checked when the connection is made — not just the name — so a DNS
 * answer pointing at a private, loopback or link-local address is refused
 * unless that address is explicitly allowed.
 */
export class SafeFetcher {
  private readonly rules: HostRule[];
  private readonly explicitlyAllowed = new BlockList();
  private readonly maxRedirects: number;
  private readonly userAgent: string;
  private readonly agent: Agent;

  constructor(options: SafeFetcherOptions) {
    this.rules = options.allowedHosts.map(parseHostRule);
    for (const rule of this.rules) {
      if (isIP(rule.host)) addCidr(this.explicitlyAllowed, rule.host);
    }
    for (const cidr of options.allowPrivateAddresses ?? []) {
      addCidr(this.explicitlyAllowed, cidr.trim());
    }
    this.maxRedirects = options.maxRedirects ?? 5;
    this.userAgent = options.userAgent ?? 'backpack';
    this.agent = new Agent({
      connect: {
        timeout: options.connectTimeoutMs ?? 10_000,
        lookup: (hostname, lookupOptions, callback) =>
          this.lookup(hostname, lookupOptions, callback),
      },
      headersTimeout: options.headersTimeoutMs ?? 30_000,
      bodyTimeout: options.idleTimeoutMs ?? 30_000,
    });
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
    let url = this.check(uri);
    for (let redirects = 0; ; redirects++) {
      const response = await request(url, {
        method: 'GET',
        dispatcher: this.agent,
        signal: options.signal,
        headers: { 'user-agent': this.userAgent, accept: '*/*' },
      });
      const { statusCode, headers, body } = response;
      if (statusCode >= 200 && statusCode < 300) {
        const length = Number(headers['content-length']);
        const known = Number.isSafeInteger(length) && length >= 0;
        const contentType = headers['content-type'];
        return {
          body,
          size: known ? length : undefined,
          url: url.toString(),
          contentType: Array.isArray(contentType)
            ? contentType[0]
            : contentType,
        };
      }
      // Release the connection; the body of a redirect or error is not needed.
      await body.dump().catch(() => {});
      const location = headers.location;
      if (statusCode >= 300 && statusCode < 400 && statusCode !== 304) {
        if (!location) {
          throw new RedirectError(`${url} redirected without a location`);
        }
        if (redirects >= this.maxRedirects) {
          throw new RedirectError(
            `${uri} redirected more than ${this.maxRedirects} times`,
          );
        }
        const target = Array.isArray(location) ? location[0] : location;
        url = this.check(new URL(target, url).toString());
        continue;
      }
      throw new UpstreamHttpError(
        url.toString(),
        statusCode,
        parseRetryAfter(headers['retry-after']),
      );
    }
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Parses a URI and checks its scheme, host and port against the allow-list. */
  private check(uri: string): URL {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new DisallowedHostError(`Not a valid URI: ${uri}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new DisallowedHostError(
        `Only http and https URIs are fetched, not ${url.protocol} (${uri})`,
      );
    }
    if (url.username || url.password) {
      throw new DisallowedHostError(
        `URIs with credentials are refused: ${uri}`,
      );
    }
    const host = stripBrackets(url.hostname.toLowerCase());
    const defaultPort = url.protocol === 'https:' ? 443 : 80;
    const port = url.port ? Number(url.port) : defaultPort;
    const allowed = this.rules.some(
      rule => rule.host === host && (rule.port ?? defaultPort) === port,
    );
    if (!allowed) {
      throw new DisallowedHostError(
        `Host ${url.host} is not in the allowed hosts (${uri})`,
      );
    }
    // IP literals are connected to without a lookup, so check them here.
    if (isIP(host) && !this.addressAllowed(host)) {
      throw new DisallowedHostError(
        `Address ${host} is not public and not explicitly allowed (${uri})`,
      );
    }
    return url;
  }

  private addressAllowed(address: string): boolean {
    const family = familyOf(address);
    return (
      !nonPublic.check(address, family) ||
      this.explicitlyAllowed.check(address, family)
    );
  }

  /** DNS lookup at connect time that drops addresses that are not allowed. */
  private lookup(
    hostname: string,
    options: { all?: boolean },
    callback: (...args: any[]) => void,
  ) {
    dnsLookup(
      hostname,
      { ...options, all: true },
      (error, addresses: LookupAddress[]) => {
        if (error) {
          callback(error);
          return;
        }
        const allowed = addresses.filter(a => this.addressAllowed(a.address));
        if (allowed.length === 0) {
          callback(
            new DisallowedHostError(
              `Host ${hostname} resolves to ${addresses
                .map(a => a.address)
                .join(', ')}, which is not public and not explicitly allowed`,
            ),
          );
        } else if (options.all) {
          callback(null, allowed);
        } else {
          callback(null, allowed[0].address, allowed[0].family);
        }
      },
    );
  }
}
