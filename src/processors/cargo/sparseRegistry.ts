/**
 * Reading a sparse registry through the upstream client: its `config.json`
 * (for `dl`), cached for a while, and the index file of one crate.
 */
import { NotFoundError } from '@backstage/errors';
import { isIP } from 'node:net';
import { parseUpstreamJson } from '../../upstream/readBoundedBody';
import { redactUrl } from '../../upstream/urls';
import { UpstreamClient, UpstreamResponse } from '../../upstream/UpstreamClient';
import { DiscoveryValidators } from '../types';
import { indexFilePath } from './cargoIndex';

/** How long a registry's `config.json` is trusted before it is read again. */
const CONFIG_TTL_MS = 10 * 60_000;

/** What Backpack needs of a registry's `config.json`. */
export interface SparseRegistryConfig {
  /** The `dl` template, absolute. */
  dl: string;
}

/** Reads sparse registries; one per processor, caching each registry's config. */
export class SparseRegistryReader {
  private readonly configs = new Map<string, { config: SparseRegistryConfig; at: number }>();

  constructor(private readonly upstream: UpstreamClient) {}

  /**
   * The registry's config. A `dl` host other than the index's is let
   * through the host policy as a public-only name; an IP literal is not.
   */
  async config(index: string, signal?: AbortSignal): Promise<SparseRegistryConfig> {
    const cached = this.configs.get(index);
    if (cached && Date.now() - cached.at < CONFIG_TTL_MS) return cached.config;
    const url = `${index}/config.json`;
    const response = await this.upstream.read(url, { signal });
    if (response.status !== 200) {
      throw new Error(`GET ${redactUrl(url)} answered ${response.status}; is it a sparse registry?`);
    }
    const json = parseUpstreamJson<Record<string, unknown>>(response.body, response.url);
    if (typeof json?.dl !== 'string' || json.dl.length === 0 || json.dl.length > 2048) {
      throw new Error(`${redactUrl(url)}: dl is missing or not a URL template`);
    }
    // Relative templates (a bundle's) are taken relative to the index.
    let absolute: URL;
    try {
      absolute = new URL(json.dl.replace(/[{}]/g, ''), `${index}/`);
    } catch {
      throw new Error(`${redactUrl(url)}: dl '${json.dl}' is not a URL`);
    }
    if (absolute.protocol !== 'http:' && absolute.protocol !== 'https:') {
      throw new Error(`${redactUrl(url)}: dl must be an http(s) URL`);
    }
    const dl = /^https?:\/\//i.test(json.dl) ? json.dl : `${new URL(`${index}/`).href}${json.dl.replace(/^\/+/, '')}`;
    // An IP literal would be allowed as that address whatever its trust,
    // so only names are taken from an upstream document: they resolve to
    // public addresses only. Others the operator lists (downloadHosts).
    if (absolute.host !== new URL(index).host && !isIP(absolute.hostname.replace(/^\[|\]$/g, ''))) {
      this.upstream.policy.allow([absolute.host], 'default');
    }
    const config = { dl };
    this.configs.set(index, { config, at: Date.now() });
    return config;
  }

  /** The index file of a crate; `notModified` after a matching conditional request. */
  async indexFile(
    index: string,
    name: string,
    options: { validators?: DiscoveryValidators; signal?: AbortSignal },
  ): Promise<UpstreamResponse> {
    const response = await this.upstream.read(`${index}/${indexFilePath(name)}`, options);
    if (response.notModified) return response;
    // Registries answer 404, or 410/451 for names they refuse.
    if ([404, 410, 451].includes(response.status)) {
      throw new NotFoundError(`crate '${name}' not found at ${redactUrl(index)}`);
    }
    if (response.status !== 200) {
      throw new Error(`GET ${redactUrl(response.url)} answered ${response.status}`);
    }
    return response;
  }
}
