import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { Readable } from 'node:stream';
import { Page } from '../database/BackpackStore';
import { ExportStore, NewExport, StoredExport } from '../database/ExportStore';
import { BundleBuilder, exportKeys } from '../exports/BundleBuilder';
import { partName } from '../exports/PartSink';
import { ExportRecord } from '../exports/types';
import { BlobStore } from '../storage/BlobStore';

const HEARTBEAT_MS = 15_000;
/** A running export whose replica sent no heartbeat for this long is failed. */
const STALE_EXPORT_MS = 5 * 60_000;

const DEFAULT_PART_SIZE = 1024 * 1024 * 1024;
const DEFAULT_NPM_TARBALL_BASE_URL = 'https://registry.npmjs.org/';
const DEFAULT_SETTLE_SECONDS = 5;

/** Settings of export bundles, from `backpack.exports`. */
export interface ExportSettings {
  partSizeBytes: number;
  npmTarballBaseUrl: string;
  /** How long a build waits for collections stamped before its cut-off to commit. */
  settleMs: number;
}

/** Reads `backpack.exports`; see config.d.ts. */
export function readExportSettings(config: Config): ExportSettings {
  const exportsConfig = config.getOptionalConfig('backpack.exports');
  const partSizeBytes = exportsConfig?.getOptionalNumber('partSizeBytes') ?? DEFAULT_PART_SIZE;
  if (!Number.isInteger(partSizeBytes) || partSizeBytes < 1) {
    throw new Error(`backpack.exports.partSizeBytes must be a positive integer, got ${partSizeBytes}`);
  }
  const npmTarballBaseUrl =
    exportsConfig?.getOptionalString('npm.tarballBaseUrl') ?? DEFAULT_NPM_TARBALL_BASE_URL;
  try {
    new URL(npmTarballBaseUrl); // eslint-disable-line no-new
  } catch {
    throw new Error(`backpack.exports.npm.tarballBaseUrl is not a URL: ${npmTarballBaseUrl}`);
  }
  const settleSeconds = exportsConfig?.getOptionalNumber('settleSeconds') ?? DEFAULT_SETTLE_SECONDS;
  if (!(settleSeconds >= 0)) {
    throw new Error(`backpack.exports.settleSeconds must not be negative, got ${settleSeconds}`);
  }
  return { partSizeBytes, npmTarballBaseUrl, settleMs: settleSeconds * 1000 };
}

/** Options of {@link ExportService}. */
export interface ExportServiceOptions extends Omit<ExportSettings, 'settleMs'> {
  /** See {@link ExportSettings.settleMs}; default 0. */
  settleMs?: number;
  store: ExportStore;
  blobStore: BlobStore;
  logger: LoggerService;
  workerId: string;
  /** Names of the processors an export may be limited to. */
  processorNames(): string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function publicRecord(stored: StoredExport): ExportRecord {
  const { manifestKey: _manifestKey, ...record } = stored;
  return record;
}

/**
 * Export bundles: requests are stored, then built in the background on the
 * replica that received them (one claim per export), with a heartbeat so a
 * bundle abandoned by a stopped replica is failed rather than left running.
 */
export class ExportService {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private readonly builder: BundleBuilder;

  constructor(private readonly options: ExportServiceOptions) {
    this.builder = new BundleBuilder({
      store: options.store,
      blobStore: options.blobStore,
      partSizeBytes: options.partSizeBytes,
      npmTarballBaseUrl: options.npmTarballBaseUrl,
      settleMs: options.settleMs ?? 0,
    });
  }

  /**
   * Stores an export and starts building it.
   *
   * @param request.since - a previous export's id (a delta after its
   *   cut-off) or an ISO 8601 timestamp (a delta after that time); a full
   *   export without it
   */
  async createExport(request: {
    since?: string;
    processors?: string[];
    requestedBy?: string;
  }): Promise<ExportRecord> {
    const known = this.options.processorNames();
    const unknown = (request.processors ?? []).filter(p => !known.includes(p));
    if (unknown.length > 0) {
      throw new InputError(`processors: unknown processor ${unknown.map(p => `'${p}'`).join(', ')}`);
    }
    const processors = request.processors
      ? [...new Set(request.processors)].sort()
      : undefined;
    const created: NewExport = {
      kind: request.since === undefined ? 'full' : 'delta',
      processors,
      requestedBy: request.requestedBy,
      ...(request.since === undefined ? {} : await this.resolveSince(request.since)),
    };
    const record = await this.options.store.createExport(created);
    this.launch(record.id);
    return publicRecord(record);
  }

  async getExport(id: string): Promise<ExportRecord> {
    return publicRecord(await this.stored(id));
  }

  async listExports(query: { limit: number; offset: number }): Promise<Page<ExportRecord>> {
    const page = await this.options.store.listExports(query);
    return { items: page.items.map(publicRecord), total: page.total };
  }

  /** The n-th part (1-based) of a finished export, as a stream from the blob store. */
  async openPart(id: string, n: number): Promise<{ name: string; size: number; body: Readable }> {
    const record = await this.finished(id);
    const part = record.parts[n - 1];
    if (!Number.isInteger(n) || !part) {
      throw new NotFoundError(`Export '${id}' has no part ${n}; it has ${record.parts.length}`);
    }
    const blob = await this.options.blobStore.get(exportKeys.part(id, part.name));
    if (!blob) throw new NotFoundError(`Part ${part.name} of export '${id}' is missing from the blob store`);
    return { name: part.name, size: blob.size, body: blob.body };
  }

  /** The manifest of a finished export, as a stream from the blob store. */
  async openManifest(id: string): Promise<{ size: number; body: Readable }> {
    const record = await this.finished(id);
    const blob = record.manifestKey ? await this.options.blobStore.get(record.manifestKey) : undefined;
    if (!blob) throw new NotFoundError(`The manifest of export '${id}' is missing from the blob store`);
    return blob;
  }

  /** Fails exports abandoned by a replica that stopped, and deletes what they wrote. */
  async failAbandoned(): Promise<void> {
    const ids = await this.options.store.failAbandonedExports(STALE_EXPORT_MS);
    for (const id of ids) {
      this.options.logger.warn(`Export ${id} was abandoned by the replica building it`);
      await this.deleteObjects(id).catch(error =>
        this.options.logger.warn(`Could not delete the parts of abandoned export ${id}: ${error}`),
      );
    }
  }

  /** Waits for the exports this replica builds; for tests and shutdown. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Aborts builds in flight, e.g. at shutdown. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.drain();
  }

  private async resolveSince(since: string): Promise<Pick<NewExport, 'sinceExportId' | 'sinceTime'>> {
    if (UUID.test(since)) {
      const previous = await this.options.store.getExport(since.toLowerCase());
      if (!previous) throw new InputError(`since: no export with id '${since}'`);
      if (previous.status !== 'succeeded' || !previous.cutoff) {
        throw new ConflictError(
          `since: export '${since}' is ${previous.status}; a delta can only follow an export that succeeded`,
        );
      }
      return { sinceExportId: previous.id, sinceTime: previous.cutoff };
    }
    // A date with a time; bare dates and other formats are ambiguous about the zone.
    const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(since)
      ? new Date(since)
      : undefined;
    if (!time || Number.isNaN(time.getTime())) {
      throw new InputError(
        `since: '${since}' is neither an export id nor an ISO 8601 timestamp with a time zone`,
      );
    }
    return { sinceTime: time.toISOString() };
  }

  private async stored(id: string): Promise<StoredExport> {
    const record = UUID.test(id) ? await this.options.store.getExport(id.toLowerCase()) : undefined;
    if (!record) throw new NotFoundError(`No export with id '${id}'`);
    return record;
  }

  private async finished(id: string): Promise<StoredExport> {
    const record = await this.stored(id);
    if (record.status !== 'succeeded') {
      throw new ConflictError(`Export '${id}' is ${record.status}; its bundle is available once it succeeded`);
    }
    return record;
  }

  private launch(id: string): void {
    if (this.inFlight.has(id)) return;
    const promise = this.execute(id).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, promise);
  }

  private async execute(id: string): Promise<void> {
    const { store, logger, workerId } = this.options;
    try {
      if (!(await store.claimExport(id, workerId))) return;
      const heartbeat = setInterval(() => {
        store.heartbeatExport(id).catch(error =>
          logger.warn(`Heartbeat of export ${id} failed: ${error}`),
        );
      }, HEARTBEAT_MS);
      try {
        const record = (await store.getExport(id))!;
        const built = await this.builder.build(record, this.abort.signal);
        await store.finishExport(id, { status: 'succeeded', ...built });
        logger.info(
          `Export ${id} succeeded: ${built.files} files, ${built.parts.length} parts, ${built.totalBytes} bytes`,
        );
      } finally {
        clearInterval(heartbeat);
      }
    } catch (error) {
      logger.error(`Export ${id} failed: ${error}`);
      await store
        .finishExport(id, { status: 'failed', error: (error as Error)?.message ?? String(error) })
        .catch(e => logger.error(`Could not record the failure of export ${id}: ${e}`));
    }
  }

  private async deleteObjects(id: string): Promise<void> {
    const { blobStore } = this.options;
    await blobStore.delete(exportKeys.manifest(id));
    for (let n = 1; ; n++) {
      const key = exportKeys.part(id, partName(n));
      if (!(await blobStore.head(key))) return;
      await blobStore.delete(key);
    }
  }
}
