import { DatabaseService } from '@backstage/backend-plugin-api';
import { ConflictError, NotFoundError } from '@backstage/errors';
import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import {
  ArtifactDependency,
  ArtifactFile,
  ArtifactFileStatus,
  ArtifactVersion,
  MirrorRun,
  MirrorRunCounters,
  MirrorRunStatus,
} from '../types';
import { ProcessorVersion } from '../processors/types';
import {
  ArtifactCounts,
  ArtifactPatch,
  BackpackStore,
  DependencyResolution,
  FileResetScope,
  ListArtifactsQuery,
  NewArtifact,
  NewRun,
  Page,
  StoredArtifact,
  StoredDependency,
  StoredFile,
  StoredValidators,
  StoredVersion,
  SyncResult,
  VersionSelection,
} from './BackpackStore';
import {
  ArtifactRow,
  DependencyRow,
  FileRow,
  RunRow,
  VersionRow,
  fromJson,
  toArtifact,
  toBoolean,
  toDependency,
  toFile,
  toIso,
  toNumber,
  toRun,
  toVersion,
} from './rows';
import { migrationsDirectory } from './migrationsDirectory';
import { translatingDatabaseErrors } from './databaseErrors';
import {
  applyArtifactFilter,
  applyArtifactScope,
  applyRunVisibility,
  ArtifactScope,
  RunVisibility,
} from './artifactScope';
import { fileRefusal } from '../storage/fileRefusal';
import { fileStorageKey } from '../storage/fileStorageKey';
import {
  expireLeases,
  listLeaseHolders,
  resetFiles,
  takeExpiredLeases,
} from './fileRecoveryQueries';
import {
  countOutstandingFiles,
  countParkedFiles,
  releaseCollectingRuns,
  takeOverCollectingRuns,
} from './runSettlementQueries';


/** Rows per multi-row insert; stays well under SQLite's bound-variable limit. */
const CHUNK = 200;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const now = () => new Date().toISOString();

/** Rows written before the planner statistics are worth refreshing. */
const STATISTICS_AFTER_ROWS = 5000;

/** The knex implementation of {@link BackpackStore}, for SQLite and PostgreSQL alike. */
export class DatabaseBackpackStore implements BackpackStore {
  static async create(options: {
    database: DatabaseService;
    skipMigrations?: boolean;
  }): Promise<DatabaseBackpackStore> {
    const { database } = options;
    const client = await database.getClient();
    if (!(options.skipMigrations ?? database.migrations?.skip)) {
      await client.migrate.latest({ directory: migrationsDirectory() });
    }
    return translatingDatabaseErrors(new DatabaseBackpackStore(client), client);
  }

  /** Writes made through this store, for proving that a no-op run writes nothing. */
  readonly writes = { rows: 0 };

  constructor(private readonly db: Knex) {}

  // Artifacts

  async createArtifact(artifact: NewArtifact): Promise<StoredArtifact> {
    const timestamp = now();
    const inserted = await this.db<ArtifactRow>('artifacts')
      .insert(this.artifactRow(artifact, timestamp))
      .onConflict(['processor', 'id'])
      .ignore()
      .returning('ref');
    if (inserted.length === 0) {
      throw new ConflictError(
        `Artifact '${artifact.processor}:${artifact.id}' already exists`,
      );
    }
    this.writes.rows += 1;
    return (await this.getArtifact(artifact.processor, artifact.id))!;
  }

  async ensureArtifact(artifact: NewArtifact): Promise<StoredArtifact> {
    const existing = await this.getArtifact(artifact.processor, artifact.id);
    if (existing) return existing;
    const inserted = await this.db<ArtifactRow>('artifacts')
      .insert(this.artifactRow(artifact, now()))
      .onConflict(['processor', 'id'])
      .ignore()
      .returning('ref');
    this.writes.rows += inserted.length;
    return (await this.getArtifact(artifact.processor, artifact.id))!;
  }

  async getArtifact(processor: string, id: string) {
    const row = await this.db<ArtifactRow>('artifacts')
      .where({ processor, id })
      .first();
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
    const [{ total }] = await base.clone().count<{ total: string | number }[]>({
      total: '*',
    });
    const rows = await base
      .clone()
      .orderBy([
        { column: 'processor', order: 'asc' },
        { column: 'id', order: 'asc' },
      ])
      .limit(query.limit)
      .offset(query.offset);
    return { items: rows.map(toArtifact), total: toNumber(total) };
  }

  async listAllArtifacts(options: { rootsOnly?: boolean } = {}) {
    const rows = await this.db<ArtifactRow>('artifacts')
      .modify(q => {
        if (options.rootsOnly) q.where('is_root', true);
      })
      .orderBy(['processor', 'id']);
    return rows.map(toArtifact);
  }

  async updateArtifact(ref: number, patch: ArtifactPatch) {
    const update: Partial<ArtifactRow> = {};
    if (patch.filter !== undefined) update.filter = patch.filter;
    if (patch.filterType !== undefined) update.filter_type = patch.filterType;
    if (patch.config !== undefined) update.config = JSON.stringify(patch.config);
    if (patch.dependencyPolicy !== undefined) {
      update.dependency_policy = patch.dependencyPolicy;
    }
    if (patch.root !== undefined) update.is_root = patch.root;
    if (patch.config !== undefined) {
      // Another upstream or other options: the cached validators no longer apply.
      update.validators = null;
    }
    update.updated_at = now();
    const count = await this.db<ArtifactRow>('artifacts')
      .where({ ref })
      .update(update);
    if (!count) throw new NotFoundError(`No artifact with ref ${ref}`);
    this.writes.rows += count;
    const row = await this.db<ArtifactRow>('artifacts').where({ ref }).first();
    return toArtifact(row!);
  }

  async recordDiscovery(
    ref: number,
    outcome: {
      runId: string;
      status: StoredArtifact['status'];
      error?: string;
      validators?: StoredValidators;
      tags?: Record<string, string>;
      warnings?: string[];
    },
  ): Promise<void> {
    const row = await this.db<ArtifactRow>('artifacts').where({ ref }).first();
    if (!row) return;
    const update: Partial<ArtifactRow> = {};
    if (row.status !== outcome.status) update.status = outcome.status;
    if ((row.last_error ?? undefined) !== outcome.error) {
      update.last_error = outcome.error ?? null;
    }
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
    update.last_run_id = outcome.runId;
    update.last_run_at = now();
    update.updated_at = now();
    this.writes.rows += await this.db<ArtifactRow>('artifacts')
      .where({ ref })
      .update(update);
  }

  async deleteArtifact(ref: number) {
    return this.db.transaction(async tx => {
      const versionRefs = tx('artifact_versions')
        .where({ artifact_ref: ref })
        .select('ref');
      const keys: string[] = (
        await tx('artifact_files')
          .whereIn('version_ref', versionRefs.clone())
          .distinct('storage_key')
      ).map((r: { storage_key: string }) => r.storage_key);
      // Explicit deletes rather than ON DELETE CASCADE: SQLite only honours
      // foreign keys when the connection enables them.
      await tx('artifact_dependencies').whereIn('version_ref', versionRefs.clone()).delete();
      await tx('artifact_files').whereIn('version_ref', versionRefs.clone()).delete();
      await tx('artifact_versions').where({ artifact_ref: ref }).delete();
      const deleted = await tx('artifacts').where({ ref }).delete();
      if (!deleted) throw new NotFoundError(`No artifact with ref ${ref}`);
      this.writes.rows += deleted;
      const stillReferenced = new Set<string>();
      for (const part of chunks(keys)) {
        const rows = await tx('artifact_files')
          .whereIn('storage_key', part)
          .distinct('storage_key');
        rows.forEach((r: { storage_key: string }) => stillReferenced.add(r.storage_key));
      }
      return { orphanedStorageKeys: keys.filter(k => !stillReferenced.has(k)) };
    });
  }

  async countArtifact(ref: number): Promise<ArtifactCounts> {
    const versions = await this.db('artifact_versions')
      .where({ artifact_ref: ref })
      .select(
        this.db.raw('COUNT(*) as versions'),
        this.db.raw(
          "SUM(CASE WHEN status = 'selected' THEN 1 ELSE 0 END) as selected",
        ),
      )
      .first();
    const files = await this.db('artifact_files as f')
      .join('artifact_versions as v', 'v.ref', 'f.version_ref')
      .where('v.artifact_ref', ref)
      .where('v.status', 'selected')
      .select(
        this.db.raw('COUNT(*) as files'),
        this.db.raw('SUM(CASE WHEN f.collected THEN 1 ELSE 0 END) as collected'),
        this.db.raw(
          "SUM(CASE WHEN f.status IN ('failed', 'parked') THEN 1 ELSE 0 END) as failed",
        ),
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

  async listArtifactDependencies(ref: number): Promise<ArtifactDependency[]> {
    const rows: DependencyRow[] = await this.db('artifact_dependencies as d')
      .join('artifact_versions as v', 'v.ref', 'd.version_ref')
      .where('v.artifact_ref', ref)
      .where('v.status', 'selected')
      .select('d.*');
    const unique = new Map<string, ArtifactDependency>();
    for (const row of rows) {
      const dep = toDependency(row);
      const key = `${dep.processor}\0${dep.id}\0${dep.range}\0${dep.kind}`;
      const seen = unique.get(key);
      if (seen) {
        seen.resolved = [...new Set([...seen.resolved, ...dep.resolved])];
      } else {
        unique.set(key, dep);
      }
    }
    return [...unique.values()].sort(
      (a, b) => a.processor.localeCompare(b.processor) || a.id.localeCompare(b.id),
    );
  }

  // Versions, files, dependencies

  async syncVersions(
    artifactRef: number,
    versions: ProcessorVersion[],
    // Ignored: keys are derived from the file's identity (see the interface).
    _legacyStorageKey?: (path: string) => string,
  ): Promise<SyncResult> {
    const result: SyncResult = {
      versionsAdded: 0,
      filesAdded: 0,
      dependenciesAdded: 0,
      rowsWritten: 0,
    };
    await this.db.transaction(async tx => {
      const timestamp = now();
      const artifact = await tx<ArtifactRow>('artifacts').where({ ref: artifactRef }).first();
      if (!artifact) throw new NotFoundError(`No artifact with ref ${artifactRef}`);
      const existing = new Map<string, number>(
        (
          await tx<VersionRow>('artifact_versions')
            .where({ artifact_ref: artifactRef })
            .select('ref', 'version')
        ).map(r => [r.version, r.ref]),
      );
      const fresh = versions.filter(v => !existing.has(v.version));
      for (const part of chunks(fresh)) {
        const refs = await tx('artifact_versions')
          .insert(
            part.map(v => ({
              artifact_ref: artifactRef,
              version: v.version,
              status: 'discovered',
              selection: '[]',
              discovered_at: timestamp,
              published_at: v.publishedAt ?? null,
            })),
          )
          .returning(['ref', 'version']);
        refs.forEach((r: { ref: number; version: string }) =>
          existing.set(r.version, r.ref),
        );
        result.versionsAdded += refs.length;
      }

      const fileRows = await tx<FileRow>('artifact_files as f')
        .join('artifact_versions as v', 'v.ref', 'f.version_ref')
        .where('v.artifact_ref', artifactRef)
        .select(
          'f.ref',
          'f.version_ref',
          'f.name',
          'f.uri',
          'f.integrity_digest',
          'f.collected',
          'f.status',
        );
      const files = new Map(fileRows.map(r => [`${r.version_ref}\0${r.name}`, r]));
      const depRows = await tx<DependencyRow>('artifact_dependencies as d')
        .join('artifact_versions as v', 'v.ref', 'd.version_ref')
        .where('v.artifact_ref', artifactRef)
        .select(
          'd.ref',
          'd.version_ref',
          'd.processor',
          'd.dependency_id',
          'd.kind',
          'd.range',
          'd.config',
          'd.unresolvable',
        );
      // The range is part of the key: a version may require one package
      // under two ranges (npm aliases) and needs both versions.
      const depKey = (versionRef: number, processor: string, id: string, kind: string, range: string) =>
        [versionRef, processor, id, kind, range].join('\0');
      const deps = new Map(
        depRows.map(r => [depKey(r.version_ref, r.processor, r.dependency_id, r.kind, r.range), r]),
      );

      const newFiles: Partial<FileRow>[] = [];
      const newDeps: Partial<DependencyRow>[] = [];
      for (const version of versions) {
        const versionRef = existing.get(version.version)!;
        for (const file of version.files) {
          const current = files.get(`${versionRef}\0${file.name}`);
          const digest = file.integrity?.digest ?? null;
          // Names and layout hints come from the upstream: unsafe ones are
          // recorded as parked with the reason, never downloaded.
          const refusal = fileRefusal({ name: file.name, version: version.version, path: file.path });
          if (!current) {
            newFiles.push({
              version_ref: versionRef,
              name: file.name,
              uri: file.uri,
              folder: file.path,
              // Derived here, never taken from the processor.
              storage_key: fileStorageKey({
                processor: artifact.processor,
                artifactId: artifact.id,
                version: version.version,
                name: file.name,
              }),
              integrity_algorithm: file.integrity?.algorithm ?? null,
              integrity_digest: digest,
              verified: digest !== null,
              size: file.size ?? null,
              status: refusal ? 'parked' : 'pending',
              error: refusal ?? null,
              error_kind: refusal ? 'permanent' : null,
              collected: false,
              attempts: 0,
            });
          } else if (
            !toBoolean(current.collected) &&
            (current.uri !== file.uri ||
              current.integrity_digest !== digest ||
              (refusal !== undefined && current.status !== 'parked'))
          ) {
            // The upstream moved or re-published an uncollected file: take
            // the new description. Collected bytes are never replaced.
            result.rowsWritten += await tx('artifact_files')
              .where({ ref: current.ref })
              .update({
                uri: file.uri,
                integrity_algorithm: file.integrity?.algorithm ?? null,
                integrity_digest: digest,
                verified: digest !== null,
                size: file.size ?? null,
                ...(refusal
                  ? { status: 'parked', error: refusal, error_kind: 'permanent' }
                  : {}),
              });
          }
        }
        const seenDeps = new Set<string>();
        for (const dep of version.dependencies) {
          const key = depKey(versionRef, dep.processor, dep.id, dep.kind, dep.range);
          if (seenDeps.has(key)) continue;
          seenDeps.add(key);
          const current = deps.get(key);
          const config = JSON.stringify(dep.config ?? {});
          const unresolvable = dep.unresolvable ?? null;
          if (!current) {
            newDeps.push({
              version_ref: versionRef,
              processor: dep.processor,
              dependency_id: dep.id,
              range: dep.range,
              kind: dep.kind,
              config,
              resolved: '[]',
              unresolvable,
            });
          } else if (current.config !== config || (current.unresolvable ?? null) !== unresolvable) {
            // Discovered under another config (e.g. other PyPI targets), the
            // dependency passes on another one; stored dependencies stand in
            // for the next 304, so they must say what the upstream says now.
            result.rowsWritten += await tx('artifact_dependencies')
              .where({ ref: current.ref })
              .update({ config, unresolvable });
          }
        }
      }
      // The processor's answer is complete for each version it returned:
      // a dependency it no longer declares (the version was discovered
      // under another config before) must not stand in after a 304.
      const synced = new Set(versions.map(v => existing.get(v.version)!));
      const declared = new Set(
        versions.flatMap(v => {
          const versionRef = existing.get(v.version)!;
          return v.dependencies.map(d => depKey(versionRef, d.processor, d.id, d.kind, d.range));
        }),
      );
      const stale = depRows
        .filter(r => synced.has(r.version_ref))
        .filter(r => !declared.has(depKey(r.version_ref, r.processor, r.dependency_id, r.kind, r.range)))
        .map(r => r.ref);
      for (const part of chunks(stale, 500)) {
        result.rowsWritten += await tx('artifact_dependencies').whereIn('ref', part).delete();
      }
      for (const part of chunks(newFiles)) {
        await tx('artifact_files').insert(part);
        result.filesAdded += part.length;
      }
      for (const part of chunks(newDeps)) {
        await tx('artifact_dependencies').insert(part);
        result.dependenciesAdded += part.length;
      }
    });
    result.rowsWritten +=
      result.versionsAdded + result.filesAdded + result.dependenciesAdded;
    this.writes.rows += result.rowsWritten;
    return result;
  }

  async getVersions(artifactRef: number): Promise<StoredVersion[]> {
    const versions = await this.db<VersionRow>('artifact_versions')
      .where({ artifact_ref: artifactRef })
      .orderBy('ref');
    const depRows: DependencyRow[] = await this.db('artifact_dependencies as d')
      .join('artifact_versions as v', 'v.ref', 'd.version_ref')
      .where('v.artifact_ref', artifactRef)
      .select('d.*');
    const byVersion = new Map<number, StoredDependency[]>();
    for (const row of depRows) {
      const list = byVersion.get(row.version_ref) ?? [];
      list.push({
        ...toDependency(row),
        ...(row.unresolvable ? { declaredUnresolvable: row.unresolvable } : {}),
      });
      byVersion.set(row.version_ref, list);
    }
    return versions.map(v => ({
      ...toVersion(v),
      ref: v.ref,
      dependencies: byVersion.get(v.ref) ?? [],
    }));
  }

  async listVersions(
    artifactRef: number,
    query: { status?: ArtifactVersion['status']; limit: number; offset: number },
  ): Promise<Page<ArtifactVersion>> {
    const base = this.db<VersionRow>('artifact_versions')
      .where({ artifact_ref: artifactRef })
      .modify(q => {
        if (query.status) q.where('status', query.status);
      });
    const [{ total }] = await base.clone().count<{ total: string | number }[]>({
      total: '*',
    });
    const rows = await base
      .clone()
      .orderBy('ref', 'desc')
      .limit(query.limit)
      .offset(query.offset);
    return { items: rows.map(toVersion), total: toNumber(total) };
  }

  async setSelection(
    artifactRef: number,
    selections: VersionSelection[],
    options: { replace: boolean } = { replace: true },
  ): Promise<number> {
    const wanted = new Map(selections.map(s => [s.version, s]));
    let written = 0;
    await this.db.transaction(async tx => {
      const rows = await tx<VersionRow>('artifact_versions')
        .where({ artifact_ref: artifactRef })
        .select('ref', 'version', 'status', 'selection');
      for (const row of rows) {
        let next = wanted.get(row.version);
        if (!options.replace) {
          if (!next) continue;
          // A scoped run adds what it needs and keeps what other roots chose.
          const current = fromJson(row.selection, []) as VersionSelection['selection'];
          const reasons = [...current];
          for (const reason of next.selection) {
            const json = JSON.stringify(reason);
            if (!reasons.some(r => JSON.stringify(r) === json)) reasons.push(reason);
          }
          const status =
            row.status === 'selected' || next.status === 'selected'
              ? 'selected'
              : next.status;
          next = { version: row.version, status, selection: reasons };
        }
        const status = next?.status ?? 'discovered';
        const selection = JSON.stringify(next?.selection ?? []);
        if (row.status !== status || row.selection !== selection) {
          written += await tx('artifact_versions')
            .where({ ref: row.ref })
            .update({ status, selection });
        }
      }
    });
    this.writes.rows += written;
    return written;
  }

  async setResolutions(
    artifactRef: number,
    resolutions: DependencyResolution[],
  ): Promise<number> {
    let written = 0;
    await this.db.transaction(async tx => {
      const rows: Array<DependencyRow & { version: string }> = await tx(
        'artifact_dependencies as d',
      )
        .join('artifact_versions as v', 'v.ref', 'd.version_ref')
        .where('v.artifact_ref', artifactRef)
        .select(
          'd.ref',
          'd.processor',
          'd.dependency_id',
          'd.kind',
          'd.range',
          'd.resolved',
          'd.unresolvable',
          'd.resolution_error',
          'v.version',
        );
      const key = (version: string, processor: string, id: string, kind: string, range: string) =>
        [version, processor, id, kind, range].join('\0');
      const byKey = new Map(
        rows.map(r => [key(r.version, r.processor, r.dependency_id, r.kind, r.range), r]),
      );
      for (const res of resolutions) {
        const row = byKey.get(key(res.version, res.processor, res.id, res.kind, res.range));
        if (!row) continue;
        const resolved = JSON.stringify(res.resolved);
        // The processor's declared reason stays in `unresolvable`; only a
        // run's own reason is a resolution error, tried again next run.
        const resolutionError =
          res.unresolvable !== undefined && res.unresolvable !== row.unresolvable
            ? res.unresolvable
            : null;
        if (row.resolved !== resolved || (row.resolution_error ?? null) !== resolutionError) {
          written += await tx('artifact_dependencies')
            .where({ ref: row.ref })
            .update({ resolved, resolution_error: resolutionError });
        }
      }
    });
    this.writes.rows += written;
    return written;
  }

  async listFiles(
    artifactRef: number,
    version: string,
    query: { status?: ArtifactFileStatus; limit: number; offset: number },
  ): Promise<Page<ArtifactFile> | undefined> {
    const versionRow = await this.db<VersionRow>('artifact_versions')
      .where({ artifact_ref: artifactRef, version })
      .first();
    if (!versionRow) return undefined;
    const base = this.db<FileRow>('artifact_files')
      .where({ version_ref: versionRow.ref })
      .modify(q => {
        if (query.status) q.where('status', query.status);
      });
    const [{ total }] = await base.clone().count<{ total: string | number }[]>({
      total: '*',
    });
    const rows = await base.clone().orderBy('name').limit(query.limit).offset(query.offset);
    return { items: rows.map(toFile), total: toNumber(total) };
  }

  // Collection

  private fileQuery() {
    return this.db('artifact_files as f')
      .join('artifact_versions as v', 'v.ref', 'f.version_ref')
      .join('artifacts as a', 'a.ref', 'v.artifact_ref')
      .select(
        'f.*',
        'v.version as version',
        'v.artifact_ref as artifact_ref',
        'a.processor as processor',
        'a.id as artifact_id',
      );
  }

  async listFilesToQueue(options: {
    artifactRefs?: number[];
    staleAfterMs: number;
    includeFailed?: boolean;
  }): Promise<StoredFile[]> {
    const timestamp = now();
    const cutoff = new Date(Date.now() - options.staleAfterMs).toISOString();
    const rows = await this.fileQuery()
      .where('v.status', 'selected')
      .where('f.collected', false)
      .where(q =>
        q
          .where('f.status', 'pending')
          .orWhere(stale =>
            stale
              .whereIn('f.status', options.includeFailed ? ['queued', 'failed'] : ['queued'])
              .where(t => t.whereNull('f.queued_at').orWhere('f.queued_at', '<=', cutoff)),
          ),
      )
      .where(q => q.whereNull('f.locked_until').orWhere('f.locked_until', '<', timestamp))
      .modify(q => {
        if (options.artifactRefs) q.whereIn('v.artifact_ref', options.artifactRefs);
      })
      .orderBy('f.ref');
    return rows.map(toStoredFile);
  }

  async markQueued(fileRefs: number[], runId?: string): Promise<number> {
    let moved = 0;
    const timestamp = now();
    for (const part of chunks(fileRefs, 500)) {
      moved += await this.db('artifact_files')
        .whereIn('ref', part)
        .where('collected', false)
        .whereNot('status', 'parked')
        .update({
          status: 'queued',
          queued_at: timestamp,
          ...(runId ? { run_id: runId } : {}),
        });
    }
    this.writes.rows += moved;
    return moved;
  }

  async getFile(fileRef: number): Promise<StoredFile | undefined> {
    const row = await this.fileQuery().where('f.ref', fileRef).first();
    return row ? toStoredFile(row) : undefined;
  }

  async claimFile(fileRef: number, worker: string, leaseMs: number): Promise<boolean> {
    const timestamp = now();
    const claimed = await this.db('artifact_files')
      .where({ ref: fileRef, collected: false })
      .where(q =>
        q
          .whereNull('locked_until')
          .orWhere('locked_until', '<', timestamp)
          .orWhere('locked_by', worker),
      )
      .update({
        locked_by: worker,
        locked_until: new Date(Date.now() + leaseMs).toISOString(),
      });
    return claimed === 1;
  }

  async markCollected(
    fileRef: number,
    result: { size: number; digest: string; storageKey: string },
  ): Promise<void> {
    await this.db.transaction(async tx => {
      const file = await tx<FileRow>('artifact_files').where({ ref: fileRef }).first();
      if (!file || toBoolean(file.collected)) return;
      await tx('artifact_files').where({ ref: fileRef }).update({
        collected: true,
        status: 'collected',
        collected_at: now(),
        size: result.size,
        collected_digest: result.digest,
        storage_key: result.storageKey,
        error: null,
        error_kind: null,
        attempts: file.attempts + 1,
        locked_by: null,
        locked_until: null,
      });
      if (file.run_id) {
        await tx('mirror_runs')
          .where({ id: file.run_id })
          .increment({ files_collected: 1, bytes: result.size });
      }
    });
  }

  async releaseFile(fileRef: number, worker: string): Promise<void> {
    await this.db('artifact_files')
      .where({ ref: fileRef, locked_by: worker })
      .update({ locked_by: null, locked_until: null });
  }

  async markFailed(
    fileRef: number,
    result: { error: string; parked: boolean; errorKind?: ArtifactFile['errorKind'] },
  ) {
    await this.db.transaction(async tx => {
      const file = await tx<FileRow>('artifact_files').where({ ref: fileRef }).first();
      if (!file || toBoolean(file.collected)) return;
      await tx('artifact_files')
        .where({ ref: fileRef })
        .update({
          status: result.parked ? 'parked' : 'failed',
          error: result.error.slice(0, 4000),
          error_kind: result.errorKind ?? null,
          attempts: file.attempts + 1,
          queued_at: now(),
          locked_by: null,
          locked_until: null,
        });
      if (result.parked && file.run_id) {
        await tx('mirror_runs').where({ id: file.run_id }).increment({ files_failed: 1 });
      }
    });
  }

  async resetFailedFiles(artifactRef: number): Promise<number[]> {
    return this.db.transaction(async tx => {
      const rows = await tx('artifact_files as f')
        .join('artifact_versions as v', 'v.ref', 'f.version_ref')
        .where('v.artifact_ref', artifactRef)
        .whereIn('f.status', ['failed', 'parked'])
        .select('f.ref');
      const refs = rows.map((r: { ref: number }) => r.ref);
      for (const part of chunks(refs, 500)) {
        // A retry is no longer part of the run that failed the files: that
        // run already counted them as failed, and its report stays as it was.
        await tx('artifact_files')
          .whereIn('ref', part)
          .update({ status: 'pending', attempts: 0, queued_at: null, run_id: null });
      }
      return refs;
    });
  }

  async resetFiles(scope: FileResetScope) {
    const reset = await resetFiles(this.db, scope, applyArtifactFilter);
    this.writes.rows += reset.moved;
    return reset;
  }

  async takeExpiredLeases() {
    const taken = await takeExpiredLeases(this.db);
    this.writes.rows += taken.length;
    return taken;
  }

  listLeaseHolders(): Promise<string[]> {
    return listLeaseHolders(this.db);
  }

  expireLeases(workers: string[]): Promise<number> {
    return expireLeases(this.db, workers);
  }

  async isStorageKeyReferenced(storageKey: string): Promise<boolean> {
    const row = await this.db('artifact_files').where({ storage_key: storageKey }).first('ref');
    return Boolean(row);
  }

  async stats(
    scope: ArtifactScope = { type: 'all' },
  ): Promise<Array<{ processor: string; status: ArtifactFileStatus; files: number; bytes: number }>> {
    const rows = await this.db('artifact_files as f')
      .join('artifact_versions as v', 'v.ref', 'f.version_ref')
      .join('artifacts as a', 'a.ref', 'v.artifact_ref')
      .where('v.status', 'selected')
      .modify(q => applyArtifactScope(q, scope, 'a'))
      .groupBy('a.processor', 'f.status')
      .select(
        'a.processor as processor',
        'f.status as status',
        this.db.raw('COUNT(*) as files'),
        this.db.raw('SUM(COALESCE(f.size, 0)) as bytes'),
      );
    return rows.map((r: any) => ({
      processor: r.processor as string,
      status: r.status as ArtifactFileStatus,
      files: toNumber(r.files),
      bytes: toNumber(r.bytes),
    }));
  }

  private analyzedAtRows = 0;

  async refreshStatistics(): Promise<void> {
    if (this.writes.rows - this.analyzedAtRows < STATISTICS_AFTER_ROWS) return;
    this.analyzedAtRows = this.writes.rows;
    const client = this.db.client.config.client;
    if (client === 'pg') {
      await this.db.raw(
        'ANALYZE artifacts, artifact_versions, artifact_files, artifact_dependencies',
      );
    } else {
      await this.db.raw('ANALYZE');
    }
  }

  // Runs

  async createRun(run: NewRun): Promise<MirrorRun> {
    const id = randomUUID();
    await this.db<RunRow>('mirror_runs').insert({
      id,
      trigger: run.trigger,
      scope_processor: run.scope?.processor ?? null,
      scope_id: run.scope?.id ?? null,
      requested_by: run.requestedBy ?? null,
      status: 'queued',
      created_at: now(),
    });
    return (await this.getRun(id))!;
  }

  async claimRun(id: string, worker: string): Promise<boolean> {
    const timestamp = now();
    const claimed = await this.db('mirror_runs')
      .where({ id, status: 'queued' })
      .update({
        status: 'running',
        claimed_by: worker,
        started_at: timestamp,
        heartbeat_at: timestamp,
      });
    return claimed === 1;
  }

  async heartbeatRun(id: string): Promise<void> {
    await this.db('mirror_runs').where({ id }).update({ heartbeat_at: now() });
  }

  async addRunCounters(id: string, delta: Partial<MirrorRunCounters>): Promise<void> {
    const columns: Record<string, number> = {};
    const names: Record<keyof MirrorRunCounters, string> = {
      artifacts: 'artifacts',
      artifactsFailed: 'artifacts_failed',
      versionsSelected: 'versions_selected',
      filesQueued: 'files_queued',
      filesCollected: 'files_collected',
      filesFailed: 'files_failed',
      filesParked: 'files_parked',
      bytes: 'bytes',
    };
    for (const [key, value] of Object.entries(delta)) {
      if (value) columns[names[key as keyof MirrorRunCounters]] = value;
    }
    if (Object.keys(columns).length === 0) return;
    await this.db('mirror_runs').where({ id }).increment(columns);
  }

  async finishRun(
    id: string,
    outcome: {
      status: MirrorRunStatus;
      error?: string;
      artifactsFailed?: number;
      filesParked?: number;
      from?: MirrorRunStatus;
    },
  ): Promise<boolean> {
    const written = await this.db('mirror_runs')
      .where({ id })
      .modify(q => {
        if (outcome.from) q.where('status', outcome.from);
      })
      .update({
        status: outcome.status,
        error: outcome.error ?? null,
        finished_at: now(),
        ...(outcome.artifactsFailed !== undefined
          ? { artifacts_failed: outcome.artifactsFailed }
          : {}),
        ...(outcome.filesParked !== undefined ? { files_parked: outcome.filesParked } : {}),
      });
    return written === 1;
  }

  async markRunCollecting(
    id: string,
    outcome: { artifactsFailed: number; error?: string },
  ): Promise<boolean> {
    const written = await this.db('mirror_runs')
      .where({ id, status: 'running' })
      .update({
        status: 'collecting',
        artifacts_failed: outcome.artifactsFailed,
        error: outcome.error ?? null,
        heartbeat_at: now(),
      });
    return written === 1;
  }

  countOutstandingFiles(runIds: string[]): Promise<Map<string, number>> {
    return countOutstandingFiles(this.db, runIds);
  }

  countParkedFiles(runId: string): Promise<number> {
    return countParkedFiles(this.db, runId);
  }

  takeOverCollectingRuns(
    worker: string,
    options: { staleAfterMs: number; isDead?: (worker: string) => boolean },
  ): Promise<string[]> {
    return takeOverCollectingRuns(this.db, worker, options);
  }

  releaseCollectingRuns(worker: string): Promise<number> {
    return releaseCollectingRuns(this.db, worker);
  }

  async getRun(id: string, visible?: RunVisibility): Promise<MirrorRun | undefined> {
    const row = await this.db<RunRow>('mirror_runs')
      .where({ id })
      .modify(q => visible && applyRunVisibility(q, visible))
      .first();
    return row ? toRun(row) : undefined;
  }

  async listRuns(query: {
    status?: MirrorRunStatus;
    limit: number;
    offset: number;
    visible?: RunVisibility;
  }): Promise<Page<MirrorRun>> {
    const base = this.db<RunRow>('mirror_runs').modify(q => {
      if (query.status) q.where('status', query.status);
      if (query.visible) applyRunVisibility(q, query.visible);
    });
    const [{ total }] = await base.clone().count<{ total: string | number }[]>({
      total: '*',
    });
    const rows = await base
      .clone()
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(query.limit)
      .offset(query.offset);
    return { items: rows.map(toRun), total: toNumber(total) };
  }

  async listRunnableRuns(staleAfterMs: number): Promise<MirrorRun[]> {
    const cutoff = new Date(Date.now() - staleAfterMs).toISOString();
    const rows = await this.db<RunRow>('mirror_runs')
      .where('status', 'queued')
      .orWhere(q => q.where('status', 'running').where('heartbeat_at', '<', cutoff))
      .orderBy('created_at');
    return rows.map(toRun);
  }

  /** Takes over a running run whose replica stopped sending heartbeats. */
  async reclaimStaleRun(id: string, worker: string, staleAfterMs: number) {
    const cutoff = new Date(Date.now() - staleAfterMs).toISOString();
    const claimed = await this.db('mirror_runs')
      .where({ id, status: 'running' })
      .where('heartbeat_at', '<', cutoff)
      .update({ claimed_by: worker, heartbeat_at: now() });
    return claimed === 1;
  }

  private artifactRow(artifact: NewArtifact, timestamp: string): Partial<ArtifactRow> {
    return {
      processor: artifact.processor,
      id: artifact.id,
      filter: artifact.filter ?? null,
      filter_type: artifact.filterType ?? null,
      config: JSON.stringify(artifact.config ?? {}),
      is_root: artifact.root,
      dependency_policy: artifact.dependencyPolicy,
      status: 'pending',
      created_at: timestamp,
      updated_at: timestamp,
      created_by: artifact.createdBy ?? null,
    };
  }
}

function toStoredFile(row: any): StoredFile {
  return {
    ...toFile(row),
    ref: row.ref,
    versionRef: row.version_ref,
    artifactRef: row.artifact_ref,
    processor: row.processor,
    artifactId: row.artifact_id,
    version: row.version,
    runId: row.run_id ?? undefined,
    lockedBy: row.locked_by ?? undefined,
    lockedUntil: row.locked_until ? toIso(row.locked_until) : undefined,
  };
}
