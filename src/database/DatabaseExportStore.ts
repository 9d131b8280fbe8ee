import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import { applyExportVisibility, ArtifactScope } from './artifactScope';
import { chunks } from './chunks';
import {
  CollectedArtifact,
  CollectedFile,
  ExportOutcome,
  ExportStore,
  ExportWindow,
  NewExport,
  StoredExport,
} from './ExportStore';
import * as contents from './operations/exportContents';
import { claimJob, failAbandonedJobs, finishJob, heartbeatJob, LeasedJobTable } from './operations/leasedJobs';
import { now } from './rows/coerce';
import { ExportRow, LISTED_EXPORT_COLUMNS, toExport, toExportRecord } from './rows/exports';
import { ExportRecord } from '../exports/types';
import { PageTotals, paginate } from './paginate';
import { Page } from './types';

/** Exports are leased jobs; a queued one heartbeats while it waits for a build slot. */
const EXPORTS: LeasedJobTable = { name: 'exports', unfinished: ['queued', 'running'] };

/** The knex implementation of {@link ExportStore}, for SQLite and PostgreSQL alike. */
export class DatabaseExportStore implements ExportStore {
  /** Totals of export lists; writes that add, remove or finish exports go through `changing`. */
  private readonly totals = new PageTotals();

  constructor(private readonly db: Knex) {}

  async createExport(request: NewExport): Promise<StoredExport> {
    const id = randomUUID();
    await this.totals.changing(this.db('exports').insert(this.exportRow(id, request)));
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
      const inserted = await this.totals.changing(
        this.db('exports')
          .insert({ ...this.exportRow(id, request), request_key: request.requestKey })
          .onConflict()
          .ignore()
          .returning('id'),
      );
      if (inserted.length > 0) return { record: (await this.getExport(id))!, created: true };
      const active = await this.db<ExportRow>('exports')
        .where({ request_key: request.requestKey })
        .whereIn('status', EXPORTS.unfinished)
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
  }): Promise<Page<ExportRecord>> {
    const base = this.db<ExportRow>('exports')
      .modify(q => query.visible && applyExportVisibility(q, query.visible))
      .select(LISTED_EXPORT_COLUMNS.map(column => `exports.${column}`));
    const orderBy = [
      { column: 'created_at', order: 'desc' as const },
      { column: 'id', order: 'desc' as const },
    ];
    return paginate(
      base,
      // Later pages by key: exports_created_idx is (created_at, id).
      { orderBy, limit: query.limit, offset: query.offset, key: 'exports.id' },
      toExportRecord,
      this.totals,
    );
  }

  async addExportArtifacts(id: string, artifacts: Array<{ processor: string; id: string }>): Promise<void> {
    for (const part of chunks(artifacts)) {
      await this.totals.changing(
        this.db('export_artifacts')
          .insert(part.map(a => ({ export_id: id, processor: a.processor, artifact_id: a.id })))
          .onConflict(['export_id', 'processor', 'artifact_id'])
          .ignore(),
      );
    }
  }

  async deleteExport(id: string): Promise<boolean> {
    return this.totals.changing(this.db.transaction(async tx => {
      // Locks the row against a concurrent claim on PostgreSQL; SQLite
      // serialises writers anyway.
      const deleted = await tx('exports').where({ id }).whereNotIn('status', EXPORTS.unfinished).delete();
      if (!deleted) return false;
      await tx('export_artifacts').where({ export_id: id }).delete();
      return true;
    }));
  }

  claimExport(id: string, worker: string): Promise<boolean> {
    return this.totals.changing(claimJob(this.db, EXPORTS, id, worker));
  }

  heartbeatExport(id: string): Promise<void> {
    return heartbeatJob(this.db, EXPORTS, id);
  }

  async finishExport(id: string, outcome: ExportOutcome): Promise<void> {
    if (outcome.status === 'failed') {
      await this.totals.changing(finishJob(this.db, EXPORTS, id, { status: 'failed', error: outcome.error }));
      return;
    }
    await this.totals.changing(finishJob(this.db, EXPORTS, id, {
      status: 'succeeded',
      columns: {
        cutoff_at: outcome.cutoff,
        manifest_key: outcome.manifestKey,
        seal: outcome.seal,
        parts: JSON.stringify(outcome.parts),
        parts_count: outcome.parts.length,
        files_count: outcome.files,
        total_bytes: outcome.totalBytes,
      },
    }));
  }

  failAbandonedExports(staleAfterMs: number): Promise<string[]> {
    return this.totals.changing(
      failAbandonedJobs(this.db, EXPORTS, {
        statuses: EXPORTS.unfinished,
        staleAfterMs,
        error: 'The replica building it stopped before it finished',
      }),
    );
  }

  listCollectedFiles(
    window: ExportWindow,
    page: { after?: { ref: number }; limit: number },
  ): Promise<CollectedFile[]> {
    return contents.listCollectedFiles(this.db, window, page);
  }

  getCollectedStorageKey(fileRef: number): Promise<string | undefined> {
    return contents.getCollectedStorageKey(this.db, fileRef);
  }

  listTouchedArtifacts(
    window: ExportWindow,
    page: { afterRef?: number; limit: number },
  ): Promise<Array<{ ref: number; processor: string; id: string }>> {
    return contents.listTouchedArtifacts(this.db, window, page);
  }

  getCollectedArtifact(
    ref: number | { processor: string; id: string },
    until: string,
  ): Promise<CollectedArtifact | undefined> {
    return contents.getCollectedArtifact(this.db, ref, until);
  }

  listCollectedArtifactIds(
    processor: string,
    until: string,
    page: { afterId?: string; limit: number },
  ): Promise<string[]> {
    return contents.listCollectedArtifactIds(this.db, processor, until, page);
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
}
