import { DisallowedHostError, UpstreamHttpError } from '../../upstream/errors';
import { parseUpstreamJson } from '../../upstream/readBoundedBody';
import { redactUrl } from '../../upstream/urls';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { UpstreamAuthenticator } from '../../upstream/UpstreamTransport';
import { AuthChallenge, parseChallenges } from './authChallenge';
import { OciRegistry } from './ociConfig';
import { OCI_MANIFEST_ACCEPT } from './ociManifest';

/** Tokens kept per registry; the oldest is forgotten beyond this. */
const MAX_TOKENS = 1000;
/** Longest token accepted. */
const MAX_TOKEN = 16_384;
/** Registries that say nothing about lifetime mean 60 s (distribution's token spec). */
const DEFAULT_TOKEN_SECONDS = 60;

/** The repository a registry API URL names: `/v2/<name>/manifests/<ref>`, `/blobs/`, `/referrers/`, `/tags/list`. */
function repositoryOf(url: URL): string | undefined {
  const match =
    /^\/v2\/(.+)\/(?:manifests|blobs|referrers)\/[^/]+$/.exec(url.pathname) ??
    /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
  return match?.[1];
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

/**
 * Authenticates the requests of discovery and collection to one registry,
 * as the distribution spec's clients do: on a 401, a `Bearer` challenge
 * sends Backpack to the token realm (with the registry's credentials as
 * basic auth when configured, anonymously otherwise) for a pull token of
 * the one repository the URL names, which is then sent to that registry
 * only; a `Basic` challenge gets the configured credentials. Tokens are
 * kept per repository scope until they expire.
 *
 * The realm is where credentials go, so it is checked first: it must be
 * the registry's own host or one of its configured `hosts` (and pass the
 * host policy, as every request does), and https when the registry is.
 */
export class OciAuthenticator implements UpstreamAuthenticator {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();
  private bearer?: { realm: URL; service?: string };
  private basic = false;

  constructor(
    private readonly registry: OciRegistry,
    private readonly client: UpstreamClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a URL belongs to this registry (its origin exactly). */
  matches = (url: URL): boolean => url.origin === this.registry.origin;

  accept(url: URL): string | undefined {
    return /\/manifests\/[^/]+$/.test(url.pathname) ? OCI_MANIFEST_ACCEPT : undefined;
  }

  async authorization(url: URL, signal?: AbortSignal): Promise<string | undefined> {
    if (this.basic) return this.basicHeader();
    if (!this.bearer) return undefined;
    const scope = this.scopeOf(url);
    const cached = this.tokens.get(scope);
    if (cached && cached.expiresAt > this.now()) return `Bearer ${cached.value}`;
    try {
      // The realm is known: fetch the token before the request rather than after a 401.
      return `Bearer ${await this.token(scope, signal)}`;
    } catch {
      return undefined;
    }
  }

  async challenge(url: URL, values: string[], signal?: AbortSignal): Promise<boolean> {
    const challenges = parseChallenges(values);
    const bearer = challenges.find(c => c.scheme === 'bearer');
    if (bearer) {
      this.bearer = { realm: this.checkedRealm(bearer), service: bearer.params.service };
      this.basic = false;
      const scope = this.scopeOf(url, bearer);
      this.tokens.delete(scope);
      await this.token(scope, signal);
      return true;
    }
    if (challenges.some(c => c.scheme === 'basic') && this.registry.username !== undefined) {
      this.basic = true;
      return true;
    }
    return false;
  }

  private basicHeader(): string | undefined {
    const { username, password } = this.registry;
    if (username === undefined) return undefined;
    return `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
  }

  /** A pull scope for the URL's repository; a challenge's scope only for URLs that name none. */
  private scopeOf(url: URL, challenge?: AuthChallenge): string {
    const repository = repositoryOf(url);
    if (repository) return `repository:${repository}:pull`;
    const offered = challenge?.params.scope;
    return offered && /^repository:[a-z0-9._/-]+:pull$/.test(offered) ? offered : '';
  }

  private checkedRealm(challenge: AuthChallenge): URL {
    const shown = `the token realm of registry '${this.registry.alias}'`;
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm ?? '');
    } catch {
      throw new DisallowedHostError(`${shown} is not a URL`);
    }
    const own = new URL(this.registry.origin);
    const listed = this.registry.hosts.map(h => (h.includes('://') ? new URL(h).host : h).toLowerCase());
    if (realm.host !== own.host && !listed.includes(realm.host)) {
      throw new DisallowedHostError(
        `${shown}, ${redactUrl(realm)}, is neither the registry's host nor one of backpack.processors.oci.registries.${this.registry.alias}.hosts`,
      );
    }
    if (own.protocol === 'https:' && realm.protocol !== 'https:') {
      throw new DisallowedHostError(`${shown}, ${redactUrl(realm)}, is not https`);
    }
    if (realm.username || realm.password) throw new DisallowedHostError(`${shown} carries credentials`);
    return realm;
  }

  /** A token for the scope: one request at a time per scope, kept until it expires. */
  private token(scope: string, signal?: AbortSignal): Promise<string> {
    let pending = this.pending.get(scope);
    if (!pending) {
      pending = this.fetchToken(scope, signal).finally(() => this.pending.delete(scope));
      this.pending.set(scope, pending);
    }
    return pending;
  }

  private async fetchToken(scope: string, signal?: AbortSignal): Promise<string> {
    const { realm, service } = this.bearer!;
    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    if (scope) url.searchParams.set('scope', scope);
    const basic = this.basicHeader();
    const response = await this.client.get(url.toString(), {
      headers: { accept: 'application/json', ...(basic ? { authorization: basic } : {}) },
      authenticate: false,
      signal,
    });
    const shown = `token request to ${redactUrl(realm)} for registry '${this.registry.alias}'`;
    if (response.status !== 200) throw new UpstreamHttpError(shown, response.status);
    const body = parseUpstreamJson<Record<string, unknown>>(response.body, response.url);
    const value = typeof body?.token === 'string' ? body.token : body?.access_token;
    if (typeof value !== 'string' || value.length > MAX_TOKEN || !/^[\x21-\x7e]+$/.test(value)) {
      throw new Error(`${shown}: the answer holds no usable token`);
    }
    const seconds = Number(body.expires_in);
    const lifetime = Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_TOKEN_SECONDS;
    // Renewed a little early, so that a token never expires in flight.
    const expiresAt = this.now() + lifetime * 1000 - Math.min(30_000, lifetime * 100);
    if (this.tokens.size >= MAX_TOKENS) this.tokens.delete(this.tokens.keys().next().value!);
    this.tokens.set(scope, { value, expiresAt });
    return value;
  }
}
