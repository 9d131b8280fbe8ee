import { createHash } from 'node:crypto';
import { NotFoundError } from '@backstage/errors';
import { redactUrl } from '../../upstream/urls';
import { UpstreamClient } from '../../upstream/UpstreamClient';
import { BoundedCache } from '../../views/BoundedCache';
import { DiscoverOptions, DiscoveryValidators, ProcessorFile } from '../types';
import { HelmRepository } from './helmConfig';
import { chartIndexEntries, HelmIndexEntry } from './helmIndex';
import { HelmIndexReader } from './HelmIndexReader';
import { chartArchiveName, chartFilePath } from './helmPaths';

/** Charts' index entries kept between a discovery and the descriptions of its versions. */
const ENTRY_CACHE_SIZE = 2000;

/**
 * Charts of HTTP chart repositories: versions from `index.yaml`, archives
 * checked against the index digest, provenance files next to them.
 */
export class HttpCharts {
  private readonly entries = new BoundedCache<string, HelmIndexEntry[]>(ENTRY_CACHE_SIZE);
  private readonly indexes: HelmIndexReader;

  constructor(
    private readonly upstream: UpstreamClient,
    private readonly maxChartBytes: number,
  ) {
    this.indexes = new HelmIndexReader(upstream);
  }

  /** The index entries of a chart, read anew (with validators) or from a recent read of its repository. */
  async listing(
    repository: HelmRepository,
    chart: string,
    options: DiscoverOptions,
  ): Promise<{ notModified: true } | { notModified: false; entries: HelmIndexEntry[]; validators?: DiscoveryValidators }> {
    const answer = await this.indexes.read(repository, options);
    if (answer.notModified) return answer;
    const warn = (message: string) => options.logger.warn(`${repository.alias}: ${message}`);
    const entries = chartIndexEntries(answer.index, chart, repository.url, warn);
    if (!entries) {
      throw new NotFoundError(`chart '${chart}' is not in repository '${repository.alias}' (${redactUrl(repository.url)})`);
    }
    this.entries.set(`${repository.url}\0${chart}`, entries);
    return { notModified: false, entries, validators: answer.validators };
  }

  /** One version's index entry; NotFoundError when the index does not list it. */
  async entry(repository: HelmRepository, chart: string, version: string, options: DiscoverOptions): Promise<HelmIndexEntry> {
    let entries = this.entries.get(`${repository.url}\0${chart}`);
    if (!entries) {
      const answer = await this.listing(repository, chart, { logger: options.logger, signal: options.signal });
      entries = answer.notModified ? [] : answer.entries;
    }
    const entry = entries.find(e => e.version === version);
    if (!entry) throw new NotFoundError(`chart '${chart}' has no version ${version} in repository '${repository.alias}'`);
    return entry;
  }

  /** The archive's bytes, refused unless they are what the index digest names. */
  async archive(entry: HelmIndexEntry, signal?: AbortSignal): Promise<Buffer> {
    const response = await this.upstream.read(entry.url, { signal });
    if (response.status !== 200) throw new Error(`GET ${redactUrl(response.url)} answered ${response.status}`);
    if (response.body.length > this.maxChartBytes) {
      throw new Error(`the chart archive has more than ${this.maxChartBytes} bytes (backpack.processors.helm.maxChartBytes)`);
    }
    const sha256 = createHash('sha256').update(response.body).digest('hex');
    if (entry.digest && entry.digest !== sha256) {
      throw new Error(`${redactUrl(entry.url)}: the archive's sha256 ${sha256} is not the index digest ${entry.digest}`);
    }
    return response.body;
  }

  /** The files of a version: the archive, and its provenance file when the repository has one. */
  async files(chart: string, entry: HelmIndexEntry, size: number, signal?: AbortSignal): Promise<ProcessorFile[]> {
    const name = chartArchiveName(chart, entry.version);
    const files: ProcessorFile[] = [
      {
        name,
        uri: entry.url,
        path: chartFilePath(chart, entry.version, name),
        // Without an index digest the archive is collected unverified (and marked so).
        ...(entry.digest ? { integrity: { algorithm: 'sha256' as const, digest: entry.digest } } : {}),
        size,
      },
    ];
    const provenance = await this.upstream.read(`${entry.url}.prov`, { signal });
    if (provenance.status === 200) {
      // Its bytes are in hand: pinned to what was read next to the verified archive.
      files.push({
        name: `${name}.prov`,
        uri: `${entry.url}.prov`,
        path: chartFilePath(chart, entry.version, `${name}.prov`),
        integrity: { algorithm: 'sha256', digest: createHash('sha256').update(provenance.body).digest('hex') },
        size: provenance.body.length,
      });
    }
    return files;
  }
}
