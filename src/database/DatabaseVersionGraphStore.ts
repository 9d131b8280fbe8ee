import { Knex } from 'knex';
import { ArtifactDependency, ArtifactFile, ArtifactFileStatus, ArtifactVersion, ArtifactVersionStatus } from '../types';
import { ProcessorVersion } from '../processors/types';
import { ArtifactSelector, artifactRefOf } from './artifactScope';
import { chunks, LOOKUP_CHUNK } from './chunks';
import { allVersions } from './operations/allVersions';
import { decidedVersions } from './operations/decidedVersions';
import { setResolutions, setResolutionsOf } from './operations/setResolutions';
import { setSelection, setSelections } from './operations/setSelection';
import { describeVersions } from './operations/describeVersions';
import { syncVersions } from './operations/syncVersions';
import { recordListings } from './operations/recordListings';
import { DependencyRow, dependencyKey, toDependency, toStoredDependency } from './rows/dependencies';
import { FileRow, LISTED_FILE_COLUMNS, toFile } from './rows/files';
import { toVersionAdmission, VERSION_ADMISSION_COLUMNS, VersionAdmissionRow } from './rows/admissions';
import { toStoredVersion, toVersion, VERSION_COLUMNS, VersionRow } from './rows/versions';
import { PageTotals, paginate } from './paginate';
import { Page } from './types';
import {
  DecidedVersion,
  DependencyResolution,
  ListedVersion,
  ListingEntry,
  StoredDependency,
  StoredVersion,
  SyncResult,
  VersionGraphStore,
  VersionSelection,
  WalkedVersion,
} from './VersionGraphStore';
import { WriteCounter } from './WriteCounter';

/** Rows written before the planner statistics are worth refreshing. */
const STATISTICS_AFTER_ROWS = 5000;

/** The knex implementation of {@link VersionGraphStore}, for SQLite and PostgreSQL alike. */
export class DatabaseVersionGraphStore implements VersionGraphStore {
  private analyzedAtRows = 0;

  private readonly totals: PageTotals;

  constructor(
    private readonly db: Knex,
    private readonly writes: WriteCounter,
  ) {
    this.totals = new PageTotals(() => writes.rows);
  }

  async syncVersions(
    artifactRef: number,
    versions: ProcessorVersion[],
    options?: { listingOnly?: boolean },
  ): Promise<SyncResult> {
    const result = await syncVersions(this.db, artifactRef, versions, options);
    this.writes.add(result.rowsWritten);
    return result;
  }

  async recordListings(entries: ListingEntry[]): Promise<Array<Map<string, ListedVersion>>> {
    const { listed, result } = await recordListings(this.db, entries);
    this.writes.add(result.rowsWritten);
    return listed;
  }

  async describeVersions(entries: Parameters<VersionGraphStore['describeVersions']>[0]): Promise<SyncResult> {
    const result = await describeVersions(this.db, entries);
    this.writes.add(result.rowsWritten);
    return result;
  }

  async getVersions(
    artifactRef: number,
    options: { dependencies?: 'all' | 'selected' } = {},
  ): Promise<StoredVersion[]> {
    if (options.dependencies === 'selected') {
      return (await this.getVersionsOf([artifactRef])).get(artifactRef) ?? [];
    }
    const versions = await this.db<VersionRow>('artifact_versions')
      .where({ artifact_ref: artifactRef })
      .orderBy('ref');
    const byVersion = groupByVersion(await this.dependenciesOf(artifactRef));
    return versions.map(v => ({ ...toStoredVersion(v), dependencies: byVersion.get(v.ref) ?? [] }));
  }

  async getVersionsOf(artifactRefs: number[]): Promise<Map<number, StoredVersion[]>> {
    const rows: VersionRow[] = [];
    for (const part of chunks(artifactRefs, LOOKUP_CHUNK)) {
      rows.push(
        ...(await this.db<VersionRow>('artifact_versions')
          .whereIn('artifact_ref', part)
          .orderBy('ref')
          // Not the upstream's verbatim record: a run reads every version.
          .select('ref', 'artifact_ref', 'version', 'status', 'selection', 'discovered_at', 'published_at', 'described')),
      );
    }
    const dependencies = await this.getDependencies(rows.filter(v => v.status === 'selected').map(v => v.ref));
    const byArtifact = new Map<number, StoredVersion[]>(artifactRefs.map(ref => [ref, []]));
    for (const v of rows) {
      byArtifact.get(v.artifact_ref)!.push({ ...toStoredVersion(v), dependencies: dependencies.get(v.ref) ?? [] });
    }
    return byArtifact;
  }

  getAllVersions(): Promise<Map<number, WalkedVersion[]>> {
    return allVersions(this.db);
  }

  async getDependencies(versionRefs: number[]): Promise<Map<number, StoredDependency[]>> {
    const rows: DependencyRow[] = [];
    for (const part of chunks(versionRefs, LOOKUP_CHUNK)) {
      rows.push(...(await this.db<DependencyRow>('artifact_dependencies').whereIn('version_ref', part)));
    }
    return groupByVersion(rows);
  }

  listDecidedVersions(
    artifactRefs: number[],
    statuses: ArtifactVersionStatus[],
    options?: { reasons?: boolean },
  ): Promise<Map<number, DecidedVersion[]>> {
    return decidedVersions(this.db, artifactRefs, statuses, options);
  }

  async listVersions(
    artifact: ArtifactSelector,
    query: { status?: ArtifactVersion['status']; limit: number; offset: number },
  ): Promise<Page<ArtifactVersion>> {
    // The verdicts in the same statement: a second one per page cost the
    // listing about as much CPU as all of its own work.
    const base = this.db<VersionRow & VersionAdmissionRow>('artifact_versions as v')
      .leftJoin('version_admissions as a', 'a.version_ref', 'v.ref')
      .where('v.artifact_ref', artifactRefOf(this.db, artifact))
      .modify(q => {
        if (query.status) q.where('v.status', query.status);
      })
      .select([...VERSION_COLUMNS.map(column => `v.${column}`), ...VERSION_ADMISSION_COLUMNS]);
    const orderBy = [{ column: 'v.ref', order: 'desc' as const }];
    return paginate(base, { orderBy, limit: query.limit, offset: query.offset }, toVersionWithAdmission, this.totals);
  }

  async setSelection(
    artifactRef: number,
    selections: VersionSelection[],
    options: { replace: boolean } = { replace: true },
  ): Promise<number> {
    return this.writes.add(await setSelection(this.db, artifactRef, selections, options));
  }

  async setResolutions(artifactRef: number, resolutions: DependencyResolution[]): Promise<number> {
    return this.writes.add(await setResolutions(this.db, artifactRef, resolutions));
  }

  async recordClosure(
    entries: Array<{ artifactRef: number; selections: VersionSelection[]; resolutions: DependencyResolution[] }>,
    options: { replace: boolean },
  ): Promise<number> {
    const written =
      (await setSelections(this.db, entries, options)) + (await setResolutionsOf(this.db, entries));
    return this.writes.add(written);
  }

  async listFiles(
    artifact: ArtifactSelector,
    version: string,
    query: { status?: ArtifactFileStatus; limit: number; offset: number },
  ): Promise<Page<ArtifactFile> | undefined> {
    const versionRef = () =>
      this.db('artifact_versions')
        .where({ artifact_ref: artifactRefOf(this.db, artifact), version })
        .select('ref');
    const base = this.db<FileRow>('artifact_files')
      .where('version_ref', versionRef())
      .modify(q => {
        if (query.status) q.where('status', query.status);
      })
      .select(LISTED_FILE_COLUMNS);
    const orderBy = [{ column: 'name', order: 'asc' as const }];
    const page = await paginate(base, { orderBy, limit: query.limit, offset: query.offset }, toFile, this.totals);
    // An empty page is also what an unknown version gives; only then is it looked up.
    if (page.total === 0 && !(await versionRef().first())) return undefined;
    return page;
  }

  async listArtifactDependencies(artifactRef: number): Promise<ArtifactDependency[]> {
    const unique = new Map<string, ArtifactDependency>();
    for (const row of await this.dependenciesOf(artifactRef, { selectedOnly: true })) {
      const dep = toDependency(row);
      const key = dependencyKey('', dep);
      const seen = unique.get(key);
      if (seen) seen.resolved = [...new Set([...seen.resolved, ...dep.resolved])];
      else unique.set(key, dep);
    }
    return [...unique.values()].sort(
      (a, b) => a.processor.localeCompare(b.processor) || a.id.localeCompare(b.id),
    );
  }

  async refreshStatistics(): Promise<void> {
    if (this.writes.rows - this.analyzedAtRows < STATISTICS_AFTER_ROWS) return;
    this.analyzedAtRows = this.writes.rows;
    if (this.db.client.config.client === 'pg') {
      await this.db.raw('ANALYZE artifacts, artifact_versions, artifact_files, artifact_dependencies');
    } else {
      await this.db.raw('ANALYZE');
    }
  }

  /** The dependencies declared by an artifact's versions, or its selected versions only. */
  private dependenciesOf(artifactRef: number, options: { selectedOnly?: boolean } = {}): Promise<DependencyRow[]> {
    return this.db('artifact_dependencies as d')
      .join('artifact_versions as v', 'v.ref', 'd.version_ref')
      .where('v.artifact_ref', artifactRef)
      .modify(q => {
        if (options.selectedOnly) q.where('v.status', 'selected');
      })
      .select('d.*');
  }
}

/** Dependency rows as stored dependencies, by version ref, in the order read. */
function groupByVersion(rows: DependencyRow[]): Map<number, StoredDependency[]> {
  const byVersion = new Map<number, StoredDependency[]>();
  for (const row of rows) {
    const list = byVersion.get(row.version_ref) ?? [];
    list.push(toStoredDependency(row));
    byVersion.set(row.version_ref, list);
  }
  return byVersion;
}

/** A listed version with its verdict, if it was checked. */
function toVersionWithAdmission(row: VersionRow & VersionAdmissionRow): ArtifactVersion {
  const version = toVersion(row);
  const admission = toVersionAdmission(row);
  // Set rather than spread into a copy: V8 copies an object and then adds a
  // key on a slow path, a microsecond a row of the page.
  if (admission) version.admission = admission;
  return version;
}
