import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { DisallowedHostError } from './errors';
import { redactUrl } from './urls';

/**
 * Who named a host: the operator (in `backpack.allowedHosts` or a
 * configured upstream URL), whose DNS answers are trusted even when they
 * are private addresses, or a built-in default upstream, which may only
 * ever be reached at public addresses.
 */
export type HostTrust = 'operator' | 'default';

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

/**
 * Parses a URL any reader may be asked for: http or https, without
 * credentials. Checked before a URL reaches any reader, Backpack's or
 * Backstage's. A URL object is checked as it is, not parsed again (a
 * discovery's request is checked when it is asked for and again when it
 * is sent).
 *
 * @throws DisallowedHostError
 */
export function parseFetchableUrl(uri: string | URL): URL {
  let url: URL;
  try {
    url = uri instanceof URL ? uri : new URL(String(uri));
  } catch {
    throw new DisallowedHostError('Not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DisallowedHostError(
      `Only http and https URLs are fetched, not ${url.protocol} (${redactUrl(url)})`,
    );
  }
  if (url.username || url.password) {
    throw new DisallowedHostError(`URLs with credentials are refused: ${redactUrl(url)}`);
  }
  return url;
}

interface HostRule {
  host: string;
  /** Undefined: the default port of the URL's scheme. */
  port?: number;
  trust: HostTrust;
}

/** `host`, `host:port`, `[ipv6]:port`, an IP address or a URL, as a rule. */
function parseHostRule(entry: string, trust: HostTrust): HostRule {
  const text = entry.trim().toLowerCase();
  if (text.includes('://')) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new DisallowedHostError(`Invalid allowed host entry: ${redactUrl(entry)}`);
    }
    return {
      host: stripBrackets(url.hostname),
      port: url.port ? Number(url.port) : undefined,
      trust,
    };
  }
  if (isIP(text) === 6) return { host: text, trust };
  const match = /^(\[[^\]]+\]|[^:/@\s]+)(?::(\d+))?$/.exec(text);
  if (!match) {
    throw new DisallowedHostError(`Invalid allowed host entry: ${entry}`);
  }
  return {
    host: stripBrackets(match[1]),
    port: match[2] ? Number(match[2]) : undefined,
    trust,
  };
}

/**
 * The one host policy of every outbound request, discovery and collection
 * alike, applied to every URL and every redirect hop:
 *
 * - only http and https, no credentials in URLs;
 * - only hosts (and ports) that were allowed: the processors' configured
 *   upstreams and `backpack.allowedHosts`;
 * - the address a host name resolves to is checked when the connection is
 *   made (so a DNS answer cannot be swapped between check and use): private,
 *   loopback and link-local addresses only for hosts the operator named
 *   (`operator` trust), for IP literals listed as such, and for ranges in
 *   `allowPrivateAddresses`; built-in default upstreams get public
 *   addresses only.
 *
 * Hosts are registered before the first request; registering again with
 * `operator` trust upgrades a `default` host.
 */
export class HostPolicy {
  private readonly rules: HostRule[] = [];
  /** Host names (no port) of the rules. */
  private readonly hostNames = new Set<string>();
  /** Host names (no port) the operator named. */
  private readonly operatorHosts = new Set<string>();
  private readonly explicitlyAllowed = new BlockList();
  /**
   * Whether each allowed IP literal passes the address check: every
   * request and hop to it is checked, and a BlockList check parses the
   * address each time. Only hosts of the rules get here, so it stays small;
   * `allow` clears it.
   */
  private readonly literals = new Map<string, boolean>();

  constructor(options: { allowPrivateAddresses?: string[] } = {}) {
    for (const cidr of options.allowPrivateAddresses ?? []) {
      addCidr(this.explicitlyAllowed, cidr.trim());
    }
  }

  /** Allows hosts: `host`, `host:port`, `[ipv6]:port`, IP addresses or base URLs. */
  allow(entries: readonly string[], trust: HostTrust): this {
    this.literals.clear();
    for (const entry of entries) {
      const rule = parseHostRule(entry, trust);
      this.rules.push(rule);
      this.hostNames.add(rule.host);
      if (trust === 'operator') this.operatorHosts.add(rule.host);
      // A listed IP literal names the address itself; no DNS is involved.
      if (isIP(rule.host)) addCidr(this.explicitlyAllowed, rule.host);
    }
    return this;
  }

  /**
   * Parses a URL and checks its scheme, credentials, host and port.
   *
   * @throws DisallowedHostError
   */
  check(uri: string | URL): URL {
    const url = parseFetchableUrl(uri);
    const host = stripBrackets(url.hostname.toLowerCase());
    const defaultPort = url.protocol === 'https:' ? 443 : 80;
    const port = url.port ? Number(url.port) : defaultPort;
    const allowed = this.rules.some(
      rule => rule.host === host && (rule.port ?? defaultPort) === port,
    );
    if (!allowed) {
      throw new DisallowedHostError(`Host ${url.host} is not in the allowed hosts (${redactUrl(url)})`);
    }
    // IP literals are connected to without a lookup, so check them here.
    if (isIP(host) && !this.literalAllowed(host)) {
      throw new DisallowedHostError(
        `Address ${host} is not public and not explicitly allowed (${redactUrl(url)})`,
      );
    }
    return url;
  }

  /**
   * Whether the policy names the URL's host, on any port and whatever the
   * scheme: such URLs are Backpack's to read (and to refuse), never another
   * reader's, so a host Backpack allows is always read under its checks.
   */
  owns(url: URL): boolean {
    return this.hostNames.has(stripBrackets(url.hostname.toLowerCase()));
  }

  private literalAllowed(host: string): boolean {
    let allowed = this.literals.get(host);
    if (allowed === undefined) {
      allowed = this.addressAllowed(host, host);
      this.literals.set(host, allowed);
    }
    return allowed;
  }

  /** Whether a connection to `address`, resolved for `hostname`, may be made. */
  addressAllowed(hostname: string, address: string): boolean {
    const family = familyOf(address);
    return (
      !nonPublic.check(address, family) ||
      this.operatorHosts.has(stripBrackets(hostname.toLowerCase())) ||
      this.explicitlyAllowed.check(address, family)
    );
  }

  /**
   * A `dns.lookup` for the connector: resolves, then drops the addresses
   * the policy does not allow for that host, failing when none is left.
   */
  readonly lookup = (
    hostname: string,
    options: { all?: boolean },
    callback: (...args: any[]) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) {
        callback(error);
        return;
      }
      const allowed = addresses.filter(a => this.addressAllowed(hostname, a.address));
      if (allowed.length === 0) {
        callback(
          new DisallowedHostError(
            `Host ${hostname} resolves to ${addresses
              .map(a => a.address)
              .join(', ')}, which is not public, and the host is not one the operator listed (backpack.allowedHosts)`,
          ),
        );
      } else if (options.all) {
        callback(null, allowed);
      } else {
        callback(null, allowed[0].address, allowed[0].family);
      }
    });
  };
}
