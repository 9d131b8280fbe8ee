import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import { JsonObject } from '@backstage/types';
import { BundlePart, ExportRecord } from '../exports/types';
import { ArtifactDependency, FileIntegrity } from '../types';
import { Page } from './BackpackStore';
import {
  CollectedArtifact,
  CollectedFile,
  ExportOutcome,
  ExportStore,
  ExportWindow,
  NewExport,
  StoredExport,
} from './ExportStore';
import { applyExportVisibility, ArtifactScope } from './artifactScope';
import { translatingDatabaseErrors } from './databaseErrors';
import { fromJson, toBoolean, toIso, toNumber } from './rows';

interface ExportRow {
  id: string;
  status: string;
  kind: string;
  since_export_id: string | null;
  since_time: string | Date | null;
  processors: string | null;
  requested_by: string | null;
  claimed_by: string | null;
  created_at: string | Date;
  started_at: string | Date | null;
  heartbeat_at: string | Date | null;
  finished_at: string | Date | null;
  cutoff_at: string | Date | null;
  error: string | null;
  manifest_key: string | null;
  request_key?: string | null;
  seal: string | null;
  parts: string | null;
  parts_count: number | string;
  files_count: number | string;
  total_bytes: number | string;
}

interface CollectedFileRow {
  ref: number;
  storage_key: string;
  name: string;
  size: number | string | null;
  collected_at: string | Date;
  collected_digest: string | null;
  integrity_algorithm: string | null;
  integrity_digest: string | null;
  verified: boolean | number;
  version: string;
  artifact_ref: number;
  processor: string;
  artifact_id: string;
}

const now = () => new Date().toISOString();
const optionalIso = (value: string | Date | null) => (value ? toIso(value) : undefined);

function toExport(row: ExportRow): StoredExport {
  const record: ExportRecord = {
    id: row.id,
    status: row.status as ExportRecord['status'],
    kind: row.kind as ExportRecord['kind'],
    since: row.since_time
      ? {
          ...(row.since_export_id ? { exportId: row.since_export_id } : {}),
          time: toIso(row.since_time),
        }
      : undefined,
    processors: fromJson<string[] | undefined>(row.processors, undefined),
    requestedBy: row.requested_by ?? undefined,
    createdAt: toIso(row.created_at),
    startedAt: optionalIso(row.started_at),
    finishedAt: optionalIso(row.finished_at),
    cutoff: optionalIso(row.cutoff_at),
    error: row.error ?? undefined,
    seal: row.seal ?? undefined,
    parts: fromJson<BundlePart[]>(row.parts, []),
    files: toNumber(row.files_count),
    totalBytes: toNumber(row.total_bytes),
  };
  return { ...record, manifestKey: row.manifest_key ?? undefined };
}

function toCollectedFile(row: CollectedFileRow): CollectedFile {
  return {
    ref: row.ref,
    storageKey: row.storage_key,
    name: row.name,
    processor: row.processor,
    artifactRef: row.artifact_ref,
    artifactId: row.artifact_id,
    version: row.version,
    size: row.size === null ? undefined : toNumber(row.size),
    collectedAt: toIso(row.collected_at),
    sha256: row.collected_digest ?? undefined,
    integrity:
      row.integrity_algorithm && row.integrity_digest
        ? {
            algorithm: row.integrity_algorithm as FileIntegrity['algorithm'],
            digest: row.integrity_digest,
          }
        : undefined,
    verified: toBoolean(row.verified),
  };
}

/** The knex implementation of {@link ExportStore}, for SQLite and PostgreSQL alike. */
export class DatabaseExportStore implements ExportStore {
  /**
   * The `exports` table comes with the package's migrations, which
   * `DatabaseBackpackStore.create` applies; create this store after it.
   */
  static create(knex: Knex): DatabaseExportStore {
    return translatingDatabaseErrors(new DatabaseExportStore(knex), knex);
  }

  constructor(private readonly db: Knex) {}

  async createExport(request: NewExport): Promise<StoredExport> {
    const id = randomUUID();
    await this.db('exports').insert(this.exportRow(id, request));
    return (await this.getExport(id))!;
  }

  async createOrJoinExport(
    request: NewExport & { requestKey: string },
  ): Promise<{ record: StoredExport; created: boolean }> {
    // An export that finishes between the refused insert and the read
    // leaves the index free again: then the insert is tried again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const id = randomUUID();
      // No conflict target: the unique index on request_key is partial
      // (queued and running exports only), which both databases honour
      // for a plain "do nothing".
      const inserted = await this.db('exports')
        .insert({ ...this.exportRow(id, request), request_key: request.requestKey })
        .onConflict()
        .ignore()
        .returning('id');
      if (inserted.length > 0) return { record: (await this.getExport(id))!, created: true };
      const active = await this.db<ExportRow>('exports')
        .where({ request_key: request.requestKey })
        .whereIn('status', ['queued', 'running'])
        .first();
      if (active) return { record: toExport(active), created: false };
    }
    throw new Error(`Could not store export request ${request.requestKey}`);
  }

  async getExport(id: string, visible?: ArtifactScope): Promise<StoredExport | undefined> {
    const row = await this.db<ExportRow>('exports')
      .where({ id })
      .modify(q => visible && applyExportVisibility(q, visible))
      .first();
    return row ? toExport(row) : undefined;
  }

  async listExports(query: {
    limit: number;
    offset: number;
    visible?: ArtifactScope;
  }): Promise<Page<StoredExport>> {
    const base = this.db<ExportRow>('exports').modify(
      q => query.visible && applyExportVisibility(q, query.visible),
    );
    const [rows, [{ count }]] = await Promise.all([
      base
        .clone()
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(query.limit)
        .offset(query.offset),
      base.clone().count({ count: '*' }),
    ]);
    return { items: rows.map(toExport), total: toNumber(count) };
  }

  async addExportArtifacts(
    id: string,
    artifacts: Array<{ processor: string; id: string }>,
  ): Promise<void> {
    // 3 bound values a row: well under SQLite's limit per statement.
    for (let i = 0; i < artifacts.length; i += 500) {
      const rows = artifacts
        .slice(i, i + 500)
        .map(a => ({ export_id: id, processor: a.processor, artifact_id: a.id }));
      await this.db('export_artifacts')
        .insert(rows)
        .onConflict(['export_id', 'processor', 'artifact_id'])
        .ignore();
    }
  }

  async deleteExport(id: string): Promise<boolean> {
    return this.db.transaction(async tx => {
      // Locks the row against a concurrent claim on PostgreSQL; SQLite
      // serialises writers anyway.
      const deleted = await tx('exports')
        .where({ id })
        .whereNotIn('status', ['queued', 'running'])
        .delete();
      if (!deleted) return false;
      await tx('export_artifacts').where({ export_id: id }).delete();
      return true;
    });
  }

  private exportRow(id: string, request: NewExport) {
    return {
      id,
      status: 'queued',
      kind: request.kind,
      since_export_id: request.sinceExportId ?? null,
      since_time: request.sinceTime ?? null,
      processors: request.processors ? JSON.stringify(request.processors) : null,
      requested_by: request.requestedBy ?? null,
      created_at: now(),
    };
  }

  async claimExport(id: string, worker: string): Promise<boolean> {
    const timestamp = now();
    const updated = await this.db('exports')
      .where({ id, status: 'queued' })
      .update({
        status: 'running',
        claimed_by: worker,
        started_at: timestamp,
        heartbeat_at: timestamp,
      });
    return updated === 1;
  }

  async heartbeatExport(id: string): Promise<void> {
    await this.db('exports')
      .where({ id })
      .whereIn('status', ['queued', 'running'])
      .update({ heartbeat_at: now() });
  }

  async finishExport(id: string, outcome: ExportOutcome): Promise<void> {
    const common = { status: outcome.status, finished_at: now() };
    if (outcome.status === 'failed') {
      await this.db('exports').where({ id }).update({ ...common, error: outcome.error });
      return;
    }
    await this.db('exports')
      .where({ id })
      .update({
        ...common,
        error: null,
        cutoff_at: outcome.cutoff,
        manifest_key: outcome.manifestKey,
        seal: outcome.seal,
        parts: JSON.stringify(outcome.parts),
        parts_count: outcome.parts.length,
        files_count: outcome.files,
        total_bytes: outcome.totalBytes,
      });
  }

  async failAbandonedExports(staleAfterMs: number): Promise<string[]> {
    const cutoff = new Date(Date.now() - staleAfterMs).toISOString();
    const abandoned = (
      await this.db<ExportRow>('exports')
        .where(builder =>
          builder
            .where(b => b.where({ status: 'running' }).where('heartbeat_at', '<', cutoff))
            .orWhere(b =>
              // A queued export waiting for a build slot sends heartbeats too.
              b
                .where({ status: 'queued' })
                .where('created_at', '<', cutoff)
                .where(h => h.whereNull('heartbeat_at').orWhere('heartbeat_at', '<', cutoff)),
            ),
        )
        .select('id')
    ).map(row => row.id);
    if (abandoned.length > 0) {
      await this.db('exports')
        .whereIn('id', abandoned)
        .whereIn('status', ['queued', 'running'])
        .update({
          status: 'failed',
          finished_at: now(),
          error: 'The replica building it stopped before it finished',
        });
    }
    return abandoned;
  }

  // Reads over collected files

  async listCollectedFiles(
    window: ExportWindow,
    page: { after?: { ref: number }; limit: number },
  ): Promise<CollectedFile[]> {
    const query = this.windowQuery(window)
      .select(
        'f.ref',
        'f.storage_key',
        'f.name',
        'f.size',
        'f.collected_at',
        'f.collected_digest',
        'f.integrity_algorithm',
        'f.integrity_digest',
        'f.verified',
        'v.version',
        'a.ref as artifact_ref',
        'a.processor',
        'a.id as artifact_id',
      )
      .orderBy('f.ref')
      .limit(page.limit);
    if (page.after) query.where('f.ref', '>', page.after.ref);
    return (await query).map(toCollectedFile);
  }

  async getCollectedStorageKey(fileRef: number): Promise<string | undefined> {
    const row = await this.db('artifact_files')
      .where({ ref: fileRef, collected: true })
      .first('storage_key');
    return row?.storage_key;
  }

  async listTouchedArtifacts(
    window: ExportWindow,
    page: { afterRef?: number; limit: number },
  ): Promise<Array<{ ref: number; processor: string; id: string }>> {
    const query = this.windowQuery(window)
      .distinct('a.ref', 'a.processor', 'a.id')
      .orderBy('a.ref')
      .limit(page.limit);
    if (page.afterRef !== undefined) query.where('a.ref', '>', page.afterRef);
    return (await query).map((row: { ref: number; processor: string; id: string }) => ({
      ref: row.ref,
      processor: row.processor,
      id: row.id,
    }));
  }

  async getCollectedArtifact(ref: number, until: string): Promise<CollectedArtifact | undefined> {
    const artifact = await this.db('artifacts')
      .where({ ref })
      .first('ref', 'processor', 'id', 'tags');
    if (!artifact) return undefined;
    const fileRows: Array<CollectedFileRow & { version_ref: number; published_at: string | Date | null }> =
      await this.db('artifact_files as f')
        .join('artifact_versions as v', 'v.ref', 'f.version_ref')
        .join('artifacts as a', 'a.ref', 'v.artifact_ref')
        .where('a.ref', ref)
        .where('f.collected', true)
        .where('f.collected_at', '<=', until)
        .select(
          'f.ref',
          'f.storage_key',
          'f.name',
          'f.size',
          'f.collected_at',
          'f.collected_digest',
          'f.integrity_algorithm',
          'f.integrity_digest',
          'f.verified',
          'f.version_ref',
          'v.version',
          'v.published_at',
          'a.ref as artifact_ref',
          'a.processor',
          'a.id as artifact_id',
        )
        .orderBy([
          { column: 'f.version_ref', order: 'asc' },
          { column: 'f.name', order: 'asc' },
        ]);
    const versions = new Map<number, CollectedArtifact['versions'][number]>();
    for (const row of fileRows) {
      let version = versions.get(row.version_ref);
      if (!version) {
        version = {
          version: row.version,
          publishedAt: optionalIso(row.published_at),
          dependencies: [],
          files: [],
        };
        versions.set(row.version_ref, version);
      }
      version.files.push(toCollectedFile(row));
    }
    const versionRefs = [...versions.keys()];
    // Chunked to stay under SQLite's bound-variable limit for big packages.
    for (let i = 0; i < versionRefs.length; i += 500) {
      const dependencyRows: Array<{
        version_ref: number;
        processor: string;
        dependency_id: string;
        range: string;
        kind: string;
        config: string;
        resolved: string;
        unresolvable: string | null;
      }> = await this.db('artifact_dependencies')
        .whereIn('version_ref', versionRefs.slice(i, i + 500))
        .select(
          'version_ref',
          'processor',
          'dependency_id',
          'range',
          'kind',
          'config',
          'resolved',
          'unresolvable',
        )
        .orderBy('ref');
      for (const row of dependencyRows) {
        const dependency: ArtifactDependency = {
          processor: row.processor,
          id: row.dependency_id,
          range: row.range,
          kind: row.kind as ArtifactDependency['kind'],
          config: fromJson<JsonObject>(row.config, {}),
          resolved: fromJson<string[]>(row.resolved, []),
          ...(row.unresolvable ? { unresolvable: row.unresolvable } : {}),
        };
        versions.get(row.version_ref)!.dependencies.push(dependency);
      }
    }
    return {
      ref: artifact.ref,
      processor: artifact.processor,
      id: artifact.id,
      tags: fromJson<Record<string, string> | undefined>(artifact.tags, undefined),
      versions: [...versions.values()],
    };
  }

  async listCollectedArtifactIds(
    processor: string,
    until: string,
    page: { afterId?: string; limit: number },
  ): Promise<string[]> {
    const query = this.windowQuery({ until, processors: [processor] })
      .distinct('a.id')
      .orderBy('a.id')
      .limit(page.limit);
    if (page.afterId !== undefined) query.where('a.id', '>', page.afterId);
    return (await query).map((row: { id: string }) => row.id);
  }

  /** Files collected in the window, joined to their versions (`v`) and artifacts (`a`). */
  private windowQuery(window: ExportWindow): Knex.QueryBuilder {
    const query = this.db('artifact_files as f')
      .join('artifact_versions as v', 'v.ref', 'f.version_ref')
      .join('artifacts as a', 'a.ref', 'v.artifact_ref')
      .where('f.collected', true)
      .where('f.collected_at', '<=', window.until);
    if (window.after) query.where('f.collected_at', '>', window.after);
    if (window.processors) query.whereIn('a.processor', window.processors);
    return query;
  }
}
