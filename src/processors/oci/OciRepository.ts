import { NotFoundError } from '@backstage/errors';
import { DiscoveryValidators } from '../types';
import { parseUpstreamJson } from '../../upstream/readBoundedBody';
import { nextLink } from '../../upstream/linkHeader';
import { redactUrl } from '../../upstream/urls';
import { UpstreamClient, UpstreamResponse } from '../../upstream/UpstreamClient';
import { OciRegistry } from './ociConfig';
import {
  Descriptor,
  FetchedManifest,
  ManifestError,
  MEDIA_TYPES,
  OCI_MANIFEST_ACCEPT,
  parseDescriptor,
  parseManifest,
  sha256Digest,
} from './ociManifest';
import { DIGEST, TAG } from './ociNames';

/** Pages of a tag listing followed at most. */
const MAX_TAG_PAGES = 1000;

/**
 * One repository of an upstream registry, through the gated upstream
 * client (whose transport authenticates the requests, see
 * OciAuthenticator): its tags, its manifests by tag or digest, checked
 * against their digests, and its referrers.
 */
export class OciRepository {
  /** The repository name in API paths: the registry's namespace, then the path. */
  readonly name: string;

  constructor(
    readonly registry: OciRegistry,
    path: string,
    private readonly client: UpstreamClient,
    private readonly maxManifestBytes: number,
  ) {
    this.name = registry.namespace ? `${registry.namespace}/${path}` : path;
  }

  manifestUrl(reference: string): string {
    return `${this.registry.origin}/v2/${this.name}/manifests/${reference}`;
  }

  blobUrl(digest: string): string {
    return `${this.registry.origin}/v2/${this.name}/blobs/${digest}`;
  }

  private failure(response: UpstreamResponse, what: string): Error {
    const shown = `${what} of '${this.name}' at registry '${this.registry.alias}' (${redactUrl(response.url)})`;
    if (response.status === 404) return new NotFoundError(`${shown} not found`);
    if (response.status === 401 || response.status === 403) {
      return new Error(
        `${shown} answered ${response.status}: not authorized (credentials: backpack.processors.oci.registries.${this.registry.alias}.username/password)`,
      );
    }
    return new Error(`${shown} answered ${response.status}`);
  }

  /**
   * Every tag, page by page along the `Link` headers (which must stay on
   * this repository's listing); tags that are no valid tag are dropped and
   * counted. Conditional on `validators` only for a one-page listing.
   */
  async listTags(options: { maxTags: number; validators?: DiscoveryValidators; signal?: AbortSignal }) {
    const first = `${this.registry.origin}/v2/${this.name}/tags/list`;
    const tags: string[] = [];
    let dropped = 0;
    let url: string | undefined = first;
    let validators: DiscoveryValidators | undefined;
    for (let page = 0; url; page++) {
      if (page >= MAX_TAG_PAGES) throw new Error(`${redactUrl(first)}: more than ${MAX_TAG_PAGES} pages of tags`);
      const response = await this.client.get(url, {
        headers: { accept: 'application/json' },
        validators: page === 0 ? options.validators : undefined,
        signal: options.signal,
      });
      if (page === 0 && response.notModified) return { notModified: true as const };
      if (response.status !== 200) throw this.failure(response, 'the tag list');
      const body = parseUpstreamJson<{ tags?: unknown }>(response.body, response.url);
      const listed = body?.tags ?? [];
      if (!Array.isArray(listed)) throw new Error(`${redactUrl(response.url)}: tags is not a list`);
      for (const tag of listed) {
        if (typeof tag === 'string' && TAG.test(tag)) tags.push(tag);
        else dropped += 1;
      }
      if (tags.length > options.maxTags) {
        throw new Error(`${redactUrl(first)}: more than ${options.maxTags} tags (backpack.processors.oci.maxTags)`);
      }
      const next = nextLink(response);
      if (page === 0 && !next) validators = response.validators;
      url = next === undefined ? undefined : this.nextPage(response.url, next);
    }
    return { notModified: false as const, tags: [...new Set(tags)], dropped, validators };
  }

  private nextPage(current: string, link: string): string {
    const next = new URL(link, current);
    const here = new URL(current);
    if (next.origin !== here.origin || next.pathname !== here.pathname) {
      throw new Error(`${redactUrl(current)}: the next page of tags is not this repository's listing`);
    }
    return next.toString();
  }

  /**
   * A manifest by tag or digest, checked: by digest its bytes must have
   * that digest; by tag its digest is the sha256 of the bytes served, and
   * must equal the `Docker-Content-Digest` the registry sends, if any.
   * `etag` makes the request conditional (a tag not moved answers 304).
   */
  async getManifest(
    reference: string,
    options: { etag?: string; signal?: AbortSignal } = {},
  ): Promise<(FetchedManifest & { etag?: string }) | { notModified: true }> {
    const byDigest = DIGEST.test(reference);
    const response = await this.client.get(this.manifestUrl(reference), {
      headers: { accept: OCI_MANIFEST_ACCEPT },
      validators: options.etag ? { etag: options.etag } : undefined,
      signal: options.signal,
    });
    if (response.notModified) return { notModified: true };
    if (response.status !== 200) throw this.failure(response, `manifest ${reference}`);
    const served = sha256Digest(response.body);
    const declared = response.headers.get('docker-content-digest')?.trim();
    if (declared && declared !== served) {
      throw new ManifestError(`manifest ${reference} of '${this.name}' is served as ${declared} but its bytes are ${served}`);
    }
    const digest = byDigest ? reference : served;
    const manifest = parseManifest(response.body, {
      digest,
      maxBytes: this.maxManifestBytes,
      contentType: response.headers.get('content-type') ?? undefined,
    });
    return { digest, bytes: response.body, manifest, etag: response.validators.etag };
  }

  /**
   * The referrers of a digest from the referrers API (OCI 1.1), or
   * undefined when the registry has no such API (it answers 404).
   */
  async referrers(digest: string, signal?: AbortSignal): Promise<Descriptor[] | undefined> {
    const response = await this.client.get(`${this.registry.origin}/v2/${this.name}/referrers/${digest}`, {
      headers: { accept: MEDIA_TYPES.ociIndex },
      signal,
    });
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw this.failure(response, `referrers of ${digest}`);
    if (response.body.length > this.maxManifestBytes) {
      throw new ManifestError(`referrers of ${digest} are larger than ${this.maxManifestBytes} bytes`);
    }
    const body = parseUpstreamJson<{ manifests?: unknown }>(response.body, response.url);
    const listed = body?.manifests ?? [];
    if (!Array.isArray(listed)) throw new ManifestError(`referrers of ${digest}: manifests is not a list`);
    return listed.map((d, i) => parseDescriptor(d, `referrers of ${digest}: manifests[${i}]`));
  }
}
