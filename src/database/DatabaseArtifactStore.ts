import { ConflictError, NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import {
  ArtifactCounts,
  ArtifactPatch,
  ArtifactStore,
  DiscoveryOutcome,
  ListArtifactsQuery,
  NewArtifact,
  StoredArtifact,
} from './ArtifactStore';
import { applyArtifactFilter } from './artifactScope';
import { deleteArtifact } from './operations/deleteArtifact';
import { ArtifactRow, newArtifactRow, toArtifact } from './rows/artifacts';
import { now, toNumber } from './rows/coerce';
import { PageTotals, paginate } from './paginate';
import { Page } from './types';
import { WriteCounter } from './WriteCounter';

/** The knex implementation of {@link ArtifactStore}, for SQLite and PostgreSQL alike. */
export class DatabaseArtifactStore implements ArtifactStore {
  private readonly totals: PageTotals;

  constructor(
    private readonly db: Knex,
    private readonly writes: WriteCounter,
  ) {
    this.totals = new PageTotals(() => writes.rows);
  }

  async createArtifact(artifact: NewArtifact): Promise<StoredArtifact> {
    const inserted = await this.insert(artifact);
    if (inserted === 0) {
      throw new ConflictError(`Artifact '${artifact.processor}:${artifact.id}' already exists`);
    }
    return (await this.getArtifact(artifact.processor, artifact.id))!;
  }

  async ensureArtifact(artifact: NewArtifact): Promise<StoredArtifact> {
    const existing = await this.getArtifact(artifact.processor, artifact.id);
    if (existing) return existing;
    await this.insert(artifact);
    return (await this.getArtifact(artifact.processor, artifact.id))!;
  }

  async getArtifact(processor: string, id: string): Promise<StoredArtifact | undefined> {
    const row = await this.db<ArtifactRow>('artifacts').where({ processor, id }).first();
    return row ? toArtifact(row) : undefined;
  }

  async listArtifacts(query: ListArtifactsQuery): Promise<Page<StoredArtifact>> {
    const base = this.db<ArtifactRow>('artifacts').where(builder => {
      if (query.processor) builder.where('processor', query.processor);
      if (query.root !== undefined) builder.where('is_root', query.root);
      if (query.status) builder.where('status', query.status);
      if (query.search) {
        // SQLite and PostgreSQL both accept an explicit escape character.
        builder.whereRaw("LOWER(id) LIKE ? ESCAPE '\\'", [
          `%${query.search.toLowerCase().replace(/[\\%_]/g, c => `\\${c}`)}%`,
        ]);
      }
      if (query.filter) applyArtifactFilter(builder, query.filter);
    });
    const orderBy = [
      { column: 'processor', order: 'asc' as const },
      { column: 'id', order: 'asc' as const },
    ];
    return paginate(base, { orderBy, limit: query.limit, offset: query.offset }, toArtifact, this.totals);
  }

  async listAllArtifacts(options: { rootsOnly?: boolean } = {}): Promise<StoredArtifact[]> {
    const rows = await this.db<ArtifactRow>('artifacts')
      .modify(q => {
        if (options.rootsOnly) q.where('is_root', true);
      })
      .orderBy(['processor', 'id']);
    return rows.map(toArtifact);
  }

  async updateArtifact(ref: number, patch: ArtifactPatch): Promise<StoredArtifact> {
    const update: Partial<ArtifactRow> = { updated_at: now() };
    if (patch.filter !== undefined) update.filter = patch.filter;
    if (patch.filterType !== undefined) update.filter_type = patch.filterType;
    if (patch.dependencyPolicy !== undefined) update.dependency_policy = patch.dependencyPolicy;
    if (patch.root !== undefined) update.is_root = patch.root;
    if (patch.admission !== undefined) {
      update.admission = patch.admission && Object.keys(patch.admission).length > 0 ? JSON.stringify(patch.admission) : null;
    }
    if (patch.config !== undefined) {
      update.config = JSON.stringify(patch.config);
      // Another upstream or other options: the cached validators no longer apply.
      update.validators = null;
    }
    const count = this.writes.add(await this.db<ArtifactRow>('artifacts').where({ ref }).update(update));
    if (!count) throw new NotFoundError(`No artifact with ref ${ref}`);
    const row = await this.db<ArtifactRow>('artifacts').where({ ref }).first();
    return toArtifact(row!);
  }

  async recordDiscovery(ref: number, outcome: DiscoveryOutcome): Promise<void> {
    const row = await this.db<ArtifactRow>('artifacts').where({ ref }).first();
    if (!row) return;
    const update: Partial<ArtifactRow> = {};
    if (row.status !== outcome.status) update.status = outcome.status;
    if ((row.last_error ?? undefined) !== outcome.error) update.last_error = outcome.error ?? null;
    if (outcome.validators) {
      const validators = JSON.stringify(outcome.validators);
      if (row.validators !== validators) update.validators = validators;
    }
    if (outcome.tags) {
      const tags = JSON.stringify(outcome.tags);
      if (row.tags !== tags) update.tags = tags;
    }
    if (outcome.warnings) {
      const warnings = outcome.warnings.length ? JSON.stringify(outcome.warnings) : null;
      if ((row.warnings ?? null) !== warnings) update.warnings = warnings;
    }
    // The run id and time are only recorded when something else changed, so
    // that a run that finds nothing new writes no rows at all.
    if (Object.keys(update).length === 0) return;
    const timestamp = now();
    update.last_run_id = outcome.runId;
    update.last_run_at = timestamp;
    update.updated_at = timestamp;
    this.writes.add(await this.db<ArtifactRow>('artifacts').where({ ref }).update(update));
  }

  async deleteArtifact(ref: number): Promise<{ orphanedStorageKeys: string[] }> {
    const { orphanedStorageKeys, rowsDeleted } = await deleteArtifact(this.db, ref);
    this.writes.add(rowsDeleted);
    return { orphanedStorageKeys };
  }

  async countArtifact(ref: number): Promise<ArtifactCounts> {
    const versions = await this.db('artifact_versions')
      .where({ artifact_ref: ref })
      .select(
        this.db.raw('COUNT(*) as versions'),
        this.db.raw("SUM(CASE WHEN status = 'selected' THEN 1 ELSE 0 END) as selected"),
      )
      .first();
    const files = await this.db('artifact_files as f')
      .join('artifact_versions as v', 'v.ref', 'f.version_ref')
      .where('v.artifact_ref', ref)
      .where('v.status', 'selected')
      .select(
        this.db.raw('COUNT(*) as files'),
        this.db.raw('SUM(CASE WHEN f.collected THEN 1 ELSE 0 END) as collected'),
        this.db.raw("SUM(CASE WHEN f.status IN ('failed', 'parked') THEN 1 ELSE 0 END) as failed"),
        this.db.raw('SUM(CASE WHEN f.collected THEN f.size ELSE 0 END) as bytes'),
      )
      .first();
    return {
      versions: toNumber(versions?.versions),
      selectedVersions: toNumber(versions?.selected),
      files: toNumber(files?.files),
      collected: toNumber(files?.collected),
      failed: toNumber(files?.failed),
      bytes: toNumber(files?.bytes),
    };
  }

  /** Inserts the artifact unless (processor, id) exists; returns rows inserted. */
  private async insert(artifact: NewArtifact): Promise<number> {
    const inserted = await this.db<ArtifactRow>('artifacts')
      .insert(newArtifactRow(artifact, now()))
      .onConflict(['processor', 'id'])
      .ignore()
      .returning('ref');
    return this.writes.add(inserted.length);
  }
}
