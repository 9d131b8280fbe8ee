import { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ArtifactScope } from '../database/artifactScope';
import { BackpackStores } from '../database/createBackpackStores';
import { NewExport, StoredExport } from '../database/ExportStore';
import { Page } from '../database/types';
import { BackpackEvents } from '../events/BackpackEvents';
import { LeasedJobs } from '../lib/LeasedJobs';
import { BundleBuilder, exportKeys } from './BundleBuilder';
import { partName } from './PartSink';
import { ExportRecord } from './types';
import { Semaphore } from '../lib/Semaphore';
import { BlobStore } from '../storage/BlobStore';
import { ArtifactSbom } from './sbom/ArtifactSbom';
import { Artifact } from '../types';
import { DEFAULT_MAX_CONCURRENT_BUILDS, ExportSettings } from './exportSettings';

/** A running export whose replica sent no heartbeat for this long is failed. */
const STALE_EXPORT_MS = 5 * 60_000;

/** Options of {@link ExportService}. */
export interface ExportServiceOptions
  extends Omit<ExportSettings, 'settleMs' | 'maxConcurrentBuilds'> {
  /** See {@link ExportSettings.settleMs}; default 0. */
  settleMs?: number;
  /** See {@link ExportSettings.maxConcurrentBuilds}; default 1. */
  maxConcurrentBuilds?: number;
  stores: Pick<BackpackStores, 'exports' | 'artifacts' | 'admissions'>;
  blobStore: BlobStore;
  logger: LoggerService;
  workerId: string;
  /** Names of the processors an export may be limited to. */
  processorNames(): string[];
  /** Told of every sealed (succeeded) export. */
  events?: BackpackEvents;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function publicRecord(stored: StoredExport): ExportRecord {
  const { manifestKey: _manifestKey, ...record } = stored;
  return record;
}

/**
 * Export bundles: requests are stored, then built in the background on the
 * replica that received them (one claim per export, a bounded number of
 * builds at once), with a heartbeat so a bundle abandoned by a stopped
 * replica is failed rather than left running. Identical requests while one
 * is queued or running share it.
 *
 * Reads take the caller's read scope (see `ArtifactScope`): an export is
 * shown only to a caller who may read every artifact it carries, and one
 * it may not see is answered like a missing one.
 */
export class ExportService {
  private readonly jobs: LeasedJobs;
  private readonly builder: BundleBuilder;
  private readonly builds: Semaphore;
  private readonly sboms: ArtifactSbom;

  constructor(private readonly options: ExportServiceOptions) {
    const { exports } = options.stores;
    this.builder = new BundleBuilder({
      stores: options.stores,
      blobStore: options.blobStore,
      partSizeBytes: options.partSizeBytes,
      npmTarballBaseUrl: options.npmTarballBaseUrl,
      nugetFeedBaseUrl: options.nugetFeedBaseUrl,
      composerRepositoryUrl: options.composerRepositoryUrl,
      signingKey: options.signingKey,
      settleMs: options.settleMs ?? 0,
      onContents: (id, artifacts) => exports.addExportArtifacts(id, artifacts),
    });
    this.sboms = new ArtifactSbom({ stores: options.stores, blobStore: options.blobStore });
    this.builds = new Semaphore(options.maxConcurrentBuilds ?? DEFAULT_MAX_CONCURRENT_BUILDS);
    // A queued export waiting for a build slot heartbeats too: it is alive.
    this.jobs = new LeasedJobs({
      name: 'Export',
      logger: options.logger,
      heartbeat: id => exports.heartbeatExport(id),
      fail: (id, error) => exports.finishExport(id, { status: 'failed', error: error.message }),
    });
  }

  /**
   * Stores an export and starts building it, or returns the queued or
   * running export that was asked for with the same kind, window and
   * processors.
   *
   * @param request.since - a previous export's id (a delta after its
   *   cut-off) or an ISO 8601 timestamp (a delta after that time); a full
   *   export without it. An export id must be one `visible` lets through.
   */
  async createExport(
    request: {
      since?: string;
      processors?: string[];
      requestedBy?: string;
    },
    visible: ArtifactScope = { type: 'all' },
  ): Promise<ExportRecord> {
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
      ...(request.since === undefined ? {} : await this.resolveSince(request.since, visible)),
    };
    const requestKey = createHash('sha256')
      .update(
        JSON.stringify([
          created.kind,
          created.sinceExportId ?? null,
          created.sinceTime ?? null,
          created.processors ?? null,
        ]),
      )
      .digest('hex');
    const { record, created: isNew } = await this.options.stores.exports.createOrJoinExport({
      ...created,
      requestKey,
    });
    // Not awaited: the caller gets the queued export. The launch is kept
    // until it settles (see drain) and records its own failure.
    if (isNew) void this.jobs.launch(record.id, signal => this.build(record.id, signal));
    return publicRecord(record);
  }

  async getExport(id: string, visible?: ArtifactScope): Promise<ExportRecord> {
    return publicRecord(await this.stored(id, visible));
  }

  async listExports(query: {
    limit: number;
    offset: number;
    visible?: ArtifactScope;
  }): Promise<Page<ExportRecord>> {
    // The store lists records as the API shows them, without the manifest's key.
    return this.options.stores.exports.listExports(query);
  }

  /**
   * Deletes a finished export: its parts and manifest from the blob store,
   * then its rows. A ConflictError while it is queued or building.
   */
  async deleteExport(id: string, visible?: ArtifactScope): Promise<ExportRecord> {
    const record = await this.stored(id, visible);
    if (record.status === 'queued' || record.status === 'running') {
      throw new ConflictError(`Export '${id}' is ${record.status}; it can be deleted once it finished`);
    }
    // Objects first: a failure leaves the export listed, and deleting it
    // again finishes the job, rather than leaving objects nothing names.
    await this.deleteObjects(record.id, record.parts.map(part => part.name));
    if (!(await this.options.stores.exports.deleteExport(record.id))) {
      throw new ConflictError(`Export '${id}' changed while it was being deleted`);
    }
    return publicRecord(record);
  }

  /** The n-th part (1-based) of a finished export, as a stream from the blob store. */
  async openPart(
    id: string,
    n: number,
    visible?: ArtifactScope,
  ): Promise<{ name: string; size: number; body: Readable }> {
    const record = await this.finished(id, visible);
    const part = record.parts[n - 1];
    if (!Number.isInteger(n) || !part) {
      throw new NotFoundError(`Export '${id}' has no part ${n}; it has ${record.parts.length}`);
    }
    const blob = await this.options.blobStore.get(exportKeys.part(id, part.name));
    if (!blob) throw new NotFoundError(`Part ${part.name} of export '${id}' is missing from the blob store`);
    return { name: part.name, size: blob.size, body: blob.body };
  }

  /** The manifest of a finished export, as a stream from the blob store. */
  async openManifest(id: string, visible?: ArtifactScope): Promise<{ size: number; body: Readable }> {
    const record = await this.finished(id, visible);
    const blob = record.manifestKey ? await this.options.blobStore.get(record.manifestKey) : undefined;
    if (!blob) throw new NotFoundError(`The manifest of export '${id}' is missing from the blob store`);
    return blob;
  }

  /**
   * The detached SSH signature of a finished export's manifest; a
   * NotFoundError when it was built without a signing key.
   */
  async openSignature(id: string, visible?: ArtifactScope): Promise<{ size: number; body: Readable }> {
    const record = await this.finished(id, visible);
    const blob = await this.options.blobStore.get(exportKeys.signature(record.id));
    if (!blob) {
      throw new NotFoundError(`Export '${id}' is not signed (backpack.exports.signing was not configured when it was built)`);
    }
    return blob;
  }

  /** The CycloneDX SBOM of a root artifact's mirrored closure, within what `canRead` lets through. */
  artifactSbom(root: { processor: string; id: string }, canRead: (artifact: Artifact) => boolean): Promise<string> {
    return this.sboms.of(root, canRead);
  }

  /** Fails exports abandoned by a replica that stopped, and deletes what they wrote. */
  async failAbandoned(): Promise<void> {
    const ids = await this.options.stores.exports.failAbandonedExports(STALE_EXPORT_MS);
    for (const id of ids) {
      this.options.logger.warn(`Export ${id} was abandoned by the replica building it`);
      await this.deleteObjects(id).catch(error =>
        this.options.logger.warn(`Could not delete the parts of abandoned export ${id}: ${error}`),
      );
    }
  }

  /** Waits for the exports this replica builds; for tests and shutdown. */
  drain(): Promise<void> {
    return this.jobs.drain();
  }

  /** Aborts builds in flight, e.g. at shutdown. */
  stop(): Promise<void> {
    return this.jobs.stop();
  }

  private async resolveSince(
    since: string,
    visible: ArtifactScope,
  ): Promise<Pick<NewExport, 'sinceExportId' | 'sinceTime'>> {
    if (UUID.test(since)) {
      const previous = await this.options.stores.exports.getExport(since.toLowerCase(), visible);
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

  /** The export; the same NotFoundError when it is missing or not visible. */
  private async stored(id: string, visible?: ArtifactScope): Promise<StoredExport> {
    const record = UUID.test(id)
      ? await this.options.stores.exports.getExport(id.toLowerCase(), visible)
      : undefined;
    if (!record) throw new NotFoundError(`No export with id '${id}'`);
    return record;
  }

  private async finished(id: string, visible?: ArtifactScope): Promise<StoredExport> {
    const record = await this.stored(id, visible);
    if (record.status !== 'succeeded') {
      throw new ConflictError(`Export '${id}' is ${record.status}; its bundle is available once it succeeded`);
    }
    return record;
  }

  /** Waits for a build slot, then claims and builds the export on this replica. */
  private async build(id: string, signal: AbortSignal): Promise<void> {
    const { stores, logger, workerId } = this.options;
    const { exports } = stores;
    await this.builds.use(async () => {
      // Stopping leaves waiting exports queued for the abandoned-export sweep.
      if (signal.aborted) return;
      if (!(await exports.claimExport(id, workerId))) return;
      const record = (await exports.getExport(id))!;
      const built = await this.builder.build(record, signal);
      await exports.finishExport(id, { status: 'succeeded', ...built });
      this.options.events?.exportSealed({ ...record, ...built, status: 'succeeded' });
      logger.info(
        `Export ${id} succeeded: ${built.files} files, ${built.parts.length} parts, ${built.totalBytes} bytes`,
      );
    });
  }

  /**
   * Deletes an export's manifest and parts: the ones it recorded and any
   * further consecutive ones a failed build left behind.
   */
  private async deleteObjects(id: string, recorded: string[] = []): Promise<void> {
    const { blobStore } = this.options;
    await blobStore.delete(exportKeys.signature(id));
    await blobStore.delete(exportKeys.manifest(id));
    for (const name of recorded) await blobStore.delete(exportKeys.part(id, name));
    for (let n = recorded.length + 1; ; n++) {
      const key = exportKeys.part(id, partName(n));
      if (!(await blobStore.head(key))) return;
      await blobStore.delete(key);
    }
  }
}
