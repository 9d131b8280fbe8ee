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
import { artifactKey, ensureArtifacts } from './operations/ensureArtifacts';
import { recordDiscoveries } from './operations/recordDiscoveries';
import { ArtifactRow, newArtifactRow, toArtifact, toListedArtifact } from './rows/artifacts';
import { now, toNumber } from './rows/coerce';
import { ISO_TIMESTAMPS } from './rows/isoTimestamps';
import { PageTotals, paginate } from './paginate';
import { Artifact } from '../types';
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
    return (await this.ensureArtifacts([artifact]))[0];
  }

  async ensureArtifacts(artifacts: NewArtifact[]): Promise<StoredArtifact[]> {
    const { rows, inserted } = await ensureArtifacts(this.db, artifacts);
    this.writes.add(inserted);
    return artifacts.map(a => {
      const row = rows.get(artifactKey(a.processor, a.id));
      // Only an artifact deleted between the insert and the read.
      if (!row) throw new NotFoundError(`Artifact '${a.processor}:${a.id}' was deleted while it was added`);
      return toArtifact(row);
    });
  }

  async getArtifact(processor: string, id: string): Promise<StoredArtifact | undefined> {
    const row = await this.db<ArtifactRow>('artifacts').where({ processor, id }).first();
    return row ? toArtifact(row) : undefined;
  }

  async listArtifacts(query: ListArtifactsQuery): Promise<Page<Artifact>> {
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
    return paginate(base, { orderBy, limit: query.limit, offset: query.offset }, toListedArtifact, this.totals);
  }

  async listAllArtifacts(options: { rootsOnly?: boolean } = {}): Promise<StoredArtifact[]> {
    const rows = await this.db<ArtifactRow>('artifacts')
      .modify(q => {
        if (options.rootsOnly) q.where('is_root', true);
      })
      .orderBy(['processor', 'id'])
      // Every artifact, read when each full run starts: its timestamps as
      // the ISO text toArtifact returns, not parsed into Dates and printed.
      .options({ types: ISO_TIMESTAMPS });
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
    this.writes.add(await recordDiscoveries(this.db, [{ ref, outcome }]));
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
