import { Knex } from 'knex';
import { FileIntegrity } from '../types';
import { StoredArtifact } from './BackpackStore';
import {
  DeclaredDependency,
  MirroredFile,
  MirroredFileOwner,
  MirroredVersion,
  MirrorReadStore,
} from './MirrorReadStore';
import { translatingDatabaseErrors } from './databaseErrors';
import { ArtifactRow, toArtifact, toBoolean, toIso, toNumber } from './rows';

/** Versions per `where in`; stays well under SQLite's bound-variable limit. */
const CHUNK = 500;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The columns of a file and its version that the views need. */
interface MirroredFileRow {
  version: string;
  published_at: string | Date | null;
  name: string;
  folder: string | null;
  storage_key: string;
  integrity_algorithm: string | null;
  integrity_digest: string | null;
  size: number | string | null;
  collected: boolean | number;
  collected_at: string | Date | null;
  collected_digest: string | null;
  verified: boolean | number;
}

const FILE_COLUMNS = [
  'v.version',
  'v.published_at',
  'f.name',
  'f.folder',
  'f.storage_key',
  'f.integrity_algorithm',
  'f.integrity_digest',
  'f.size',
  'f.collected',
  'f.collected_at',
  'f.collected_digest',
  'f.verified',
];

function toMirroredFile(row: MirroredFileRow): MirroredFile {
  const integrity: FileIntegrity | undefined =
    row.integrity_algorithm && row.integrity_digest
      ? {
          algorithm: row.integrity_algorithm as FileIntegrity['algorithm'],
          digest: row.integrity_digest.toLowerCase(),
        }
      : undefined;
  // collected_digest is the sha256 of the stored bytes; a row recorded from
  // an object that was already stored may carry the upstream digest
  // instead, so only a digest of sha256's length is taken as one.
  const collected = row.collected_digest?.toLowerCase();
  let sha256: string | undefined;
  if (collected && SHA256_HEX.test(collected)) sha256 = collected;
  else if (integrity?.algorithm === 'sha256') sha256 = integrity.digest;
  return {
    name: row.name,
    path: row.folder ?? row.storage_key.slice(row.storage_key.indexOf('/') + 1),
    storageKey: row.storage_key,
    ...(integrity ? { integrity } : {}),
    ...(sha256 ? { sha256 } : {}),
    ...(row.size === null ? {} : { size: toNumber(row.size) }),
    ...(row.collected_at ? { collectedAt: toIso(row.collected_at) } : {}),
    verified: toBoolean(row.verified),
  };
}

/** The knex implementation of {@link MirrorReadStore}, for SQLite and PostgreSQL alike. */
export class DatabaseMirrorReadStore implements MirrorReadStore {
  /** Reads through the plugin's knex client; the schema is migrated by the main store. */
  static create(knex: Knex): DatabaseMirrorReadStore {
    return translatingDatabaseErrors(new DatabaseMirrorReadStore(knex), knex);
  }

  private constructor(private readonly db: Knex) {}

  async getArtifact(processor: string, id: string): Promise<StoredArtifact | undefined> {
    const row = await this.db<ArtifactRow>('artifacts').where({ processor, id }).first();
    return row ? toArtifact(row) : undefined;
  }

  async listMirroredVersions(artifactRef: number): Promise<MirroredVersion[]> {
    const rows: MirroredFileRow[] = await this.db('artifact_versions as v')
      .join('artifact_files as f', 'f.version_ref', 'v.ref')
      .where('v.artifact_ref', artifactRef)
      .where('v.status', 'selected')
      .select(FILE_COLUMNS);
    const versions = new Map<string, MirroredVersion>();
    for (const row of rows) {
      let version = versions.get(row.version);
      if (!version) {
        version = {
          version: row.version,
          ...(row.published_at ? { publishedAt: toIso(row.published_at) } : {}),
          files: [],
          complete: true,
        };
        versions.set(row.version, version);
      }
      if (toBoolean(row.collected)) {
        version.files.push(toMirroredFile(row));
      } else {
        version.complete = false;
      }
    }
    return [...versions.values()].filter(v => v.files.length > 0);
  }

  async findCollectedFile(
    processor: string,
    storageKey: string,
  ): Promise<MirroredFileOwner | undefined> {
    const row = await this.db('artifact_files as f')
      .join('artifact_versions as v', 'v.ref', 'f.version_ref')
      .join('artifacts as a', 'a.ref', 'v.artifact_ref')
      .where('f.storage_key', storageKey)
      .where('a.processor', processor)
      .where('f.collected', true)
      .where('v.status', 'selected')
      .first([...FILE_COLUMNS, 'a.ref as artifact_ref']);
    if (!row) return undefined;
    const artifact = await this.db<ArtifactRow>('artifacts')
      .where({ ref: row.artifact_ref })
      .first();
    if (!artifact) return undefined;
    return {
      artifact: toArtifact(artifact),
      version: row.version,
      file: toMirroredFile(row),
    };
  }

  async findCollectedFileOf(file: {
    processor: string;
    id: string;
    version: string;
    name: string;
  }): Promise<MirroredFileOwner | undefined> {
    const artifact = await this.db<ArtifactRow>('artifacts')
      .where({ processor: file.processor, id: file.id })
      .first();
    if (!artifact) return undefined;
    const row: MirroredFileRow | undefined = await this.db('artifact_files as f')
      .join('artifact_versions as v', 'v.ref', 'f.version_ref')
      .where('v.artifact_ref', artifact.ref)
      .where('v.version', file.version)
      .where('v.status', 'selected')
      .where('f.name', file.name)
      .where('f.collected', true)
      .first(FILE_COLUMNS);
    if (!row) return undefined;
    return { artifact: toArtifact(artifact), version: row.version, file: toMirroredFile(row) };
  }

  async listFilesNamed(
    artifactRef: number,
    name: string,
  ): Promise<Array<{ version: string; file?: MirroredFile }>> {
    const rows: Array<MirroredFileRow & { status: string }> = await this.db('artifact_files as f')
      .join('artifact_versions as v', 'v.ref', 'f.version_ref')
      .where('v.artifact_ref', artifactRef)
      .where('f.name', name)
      .select([...FILE_COLUMNS, 'v.status as status']);
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
    for (let i = 0; i < versions.length; i += CHUNK) {
      const rows: Array<{
        version: string;
        processor: string;
        dependency_id: string;
        range: string;
        kind: string;
      }> = await this.db('artifact_dependencies as d')
        .join('artifact_versions as v', 'v.ref', 'd.version_ref')
        .where('v.artifact_ref', artifactRef)
        .whereIn('v.version', versions.slice(i, i + CHUNK))
        .orderBy(['v.version', 'd.dependency_id', 'd.kind'])
        .select('v.version', 'd.processor', 'd.dependency_id', 'd.range', 'd.kind');
      for (const row of rows) {
        const list = result.get(row.version) ?? [];
        list.push({
          processor: row.processor,
          id: row.dependency_id,
          range: row.range,
          kind: row.kind as DeclaredDependency['kind'],
        });
        result.set(row.version, list);
      }
    }
    return result;
  }
}
