import { NotFoundError } from '@backstage/errors';
import { redactUrl } from '../../upstream/urls';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { BoundedCache } from '../../views/BoundedCache';
import { DiscoveryValidators } from '../types';
import { HelmRepository } from './helmConfig';
import { HelmIndex, parseHelmIndex } from './helmIndex';

/** A fetched and parsed index, with the validators it came with. */
interface FetchedIndex {
  index: HelmIndex;
  validators: DiscoveryValidators;
}

/** How long a parsed index answers the other charts of its repository. */
const SHARED_FOR_MS = 60_000;
/** Parsed indexes kept at once: a large one (thousands of charts) costs hundreds of MiB. */
const KEPT_INDEXES = 4;

const sameValidators = (a: DiscoveryValidators, b: DiscoveryValidators) =>
  (a.etag ?? '') === (b.etag ?? '') && (a.lastModified ?? '') === (b.lastModified ?? '');

/**
 * Reads repositories' `index.yaml` through the upstream client. One index
 * lists every chart of its repository and large ones take seconds to
 * parse, so a fetched index answers the discoveries of the repository's
 * other charts for a minute, and concurrent unconditional reads share one
 * request; conditional reads go out (a 304 is cheap) unless a recent index
 * has the same validators.
 */
export class HelmIndexReader {
  private readonly recent = new BoundedCache<string, { at: number; answer: Promise<FetchedIndex> }>(KEPT_INDEXES);

  constructor(private readonly upstream: UpstreamClient) {}

  async read(
    repository: HelmRepository,
    options: { validators?: DiscoveryValidators; signal?: AbortSignal },
  ): Promise<{ notModified: true } | ({ notModified: false } & FetchedIndex)> {
    const url = `${repository.url}/index.yaml`;
    const { validators } = options;
    const cached = this.recent.get(url);
    if (cached && Date.now() - cached.at < SHARED_FOR_MS) {
      const fetched = await cached.answer.catch(() => undefined);
      if (fetched) {
        if (validators && sameValidators(validators, fetched.validators)) return { notModified: true };
        return { notModified: false, ...fetched };
      }
    }
    const answer = this.fetch(repository, url, options);
    if (!validators) {
      const shared = answer.then(a => a ?? Promise.reject(new Error(`${redactUrl(url)} answered 304 unasked`)));
      // A failure is the first caller's to report; later ones just read again.
      shared.catch(() => undefined);
      this.recent.set(url, { at: Date.now(), answer: shared });
    }
    const fetched = await answer;
    if (!fetched) return { notModified: true };
    if (validators) this.recent.set(url, { at: Date.now(), answer: Promise.resolve(fetched) });
    return { notModified: false, ...fetched };
  }

  /** The index, or undefined when the server answered 304. */
  private async fetch(
    repository: HelmRepository,
    url: string,
    options: { validators?: DiscoveryValidators; signal?: AbortSignal },
  ): Promise<FetchedIndex | undefined> {
    const response = await this.upstream.read(url, options);
    if (response.notModified) return undefined;
    if (response.status === 404) {
      throw new NotFoundError(`chart repository '${repository.alias}' has no index.yaml at ${redactUrl(url)}`);
    }
    if (response.status !== 200) throw new Error(`GET ${redactUrl(response.url)} answered ${response.status}`);
    return { index: parseHelmIndex(response.body.toString('utf8')), validators: response.validators };
  }
}
