import { Knex } from 'knex';
import { ArtifactStore, StoredArtifact } from './ArtifactStore';
import { chunks } from './chunks';
import {
  DeclaredDependency,
  MirroredFile,
  MirroredFileOwner,
  MirroredVersion,
  MirrorReadStore,
} from './MirrorReadStore';
import { ArtifactRow, toArtifact } from './rows/artifacts';
import { optionalIso, toBoolean } from './rows/coerce';
import { DependencyRow, toDeclaredDependency } from './rows/dependencies';
import { MIRRORED_FILE_COLUMNS, MirroredFileRow, toMirroredFile } from './rows/files';

/** The knex implementation of {@link MirrorReadStore}, for SQLite and PostgreSQL alike. */
export class DatabaseMirrorReadStore implements MirrorReadStore {
  constructor(
    private readonly db: Knex,
    /** Where artifacts are read by their natural key. */
    private readonly artifacts: Pick<ArtifactStore, 'getArtifact'>,
  ) {}

  getArtifact(processor: string, id: string): Promise<StoredArtifact | undefined> {
    return this.artifacts.getArtifact(processor, id);
  }

  async listMirroredVersions(artifactRef: number): Promise<MirroredVersion[]> {
    const rows: Array<MirroredFileRow & { metadata: string | null }> = await this.db('artifact_versions as v')
      .join('artifact_files as f', 'f.version_ref', 'v.ref')
      .where('v.artifact_ref', artifactRef)
      .where('v.status', 'selected')
      .select([...MIRRORED_FILE_COLUMNS, 'v.metadata']);
    const versions = new Map<string, MirroredVersion>();
    for (const row of rows) {
      let version = versions.get(row.version);
      if (!version) {
        const publishedAt = optionalIso(row.published_at);
        version = {
          version: row.version,
          ...(publishedAt ? { publishedAt } : {}),
          files: [],
          complete: true,
          ...(row.metadata !== null && row.metadata !== undefined ? { metadata: row.metadata } : {}),
        };
        versions.set(row.version, version);
      }
      if (toBoolean(row.collected)) version.files.push(toMirroredFile(row));
      else version.complete = false;
    }
    return [...versions.values()].filter(v => v.files.length > 0);
  }

  async findCollectedFile(processor: string, storageKey: string): Promise<MirroredFileOwner | undefined> {
    const row: (MirroredFileRow & { artifact_ref: number }) | undefined = await this.db('artifact_files as f')
      .join('artifact_versions as v', 'v.ref', 'f.version_ref')
      .join('artifacts as a', 'a.ref', 'v.artifact_ref')
      .where('f.storage_key', storageKey)
      .where('a.processor', processor)
      .where('f.collected', true)
      .where('v.status', 'selected')
      .first([...MIRRORED_FILE_COLUMNS, 'a.ref as artifact_ref']);
    if (!row) return undefined;
    const artifact = await this.db<ArtifactRow>('artifacts').where({ ref: row.artifact_ref }).first();
    if (!artifact) return undefined;
    return { artifact: toArtifact(artifact), version: row.version, file: toMirroredFile(row) };
  }

  async findCollectedFileOf(file: {
    processor: string;
    id: string;
    version: string;
    name: string;
  }): Promise<MirroredFileOwner | undefined> {
    const artifact = await this.artifacts.getArtifact(file.processor, file.id);
    if (!artifact) return undefined;
    const row: MirroredFileRow | undefined = await this.db('artifact_files as f')
      .join('artifact_versions as v', 'v.ref', 'f.version_ref')
      .where('v.artifact_ref', artifact.ref)
      .where('v.version', file.version)
      .where('v.status', 'selected')
      .where('f.name', file.name)
      .where('f.collected', true)
      .first(MIRRORED_FILE_COLUMNS);
    if (!row) return undefined;
    return { artifact, version: row.version, file: toMirroredFile(row) };
  }

  async listFilesNamed(
    artifactRef: number,
    name: string,
  ): Promise<Array<{ version: string; file?: MirroredFile }>> {
    const rows: Array<MirroredFileRow & { status: string }> = await this.db('artifact_files as f')
      .join('artifact_versions as v', 'v.ref', 'f.version_ref')
      .where('v.artifact_ref', artifactRef)
      .where('f.name', name)
      .select([...MIRRORED_FILE_COLUMNS, 'v.status as status']);
    return rows.map(row => ({
      version: row.version,
      ...(toBoolean(row.collected) && row.status === 'selected' ? { file: toMirroredFile(row) } : {}),
    }));
  }

  async listMirroredArtifacts(processor: string): Promise<StoredArtifact[]> {
    const rows: ArtifactRow[] = await this.db('artifacts as a')
      .where('a.processor', processor)
      .whereExists(
        this.db('artifact_versions as v')
          .join('artifact_files as f', 'f.version_ref', 'v.ref')
          .whereRaw('v.artifact_ref = a.ref')
          .where('v.status', 'selected')
          .where('f.collected', true)
          .select(this.db.raw('1')),
      )
      .orderBy('a.id')
      .select('a.*');
    return rows.map(toArtifact);
  }

  async getDeclaredDependencies(
    artifactRef: number,
    versions: string[],
  ): Promise<Map<string, DeclaredDependency[]>> {
    const result = new Map<string, DeclaredDependency[]>();
    for (const part of chunks(versions)) {
      const rows: Array<Pick<DependencyRow, 'processor' | 'dependency_id' | 'range' | 'kind'> & { version: string }> =
        await this.db('artifact_dependencies as d')
          .join('artifact_versions as v', 'v.ref', 'd.version_ref')
          .where('v.artifact_ref', artifactRef)
          .whereIn('v.version', part)
          .orderBy(['v.version', 'd.dependency_id', 'd.kind'])
          .select('v.version', 'd.processor', 'd.dependency_id', 'd.range', 'd.kind');
      for (const row of rows) {
        const list = result.get(row.version) ?? [];
        list.push(toDeclaredDependency(row));
        result.set(row.version, list);
      }
    }
    return result;
  }
}
