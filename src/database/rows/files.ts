import { ArtifactFile, FileIntegrity } from '../../types';
import { CollectedFile } from '../ExportStore';
import { StoredFile } from '../FileStore';
import { LegacyKeyFile } from '../LegacyKeyStore';
import { MirroredFile } from '../MirrorReadStore';
import { optionalIso, optionalNumber, toBoolean, toIso } from './coerce';

/** A row of `artifact_files`. */
export interface FileRow {
  ref: number;
  version_ref: number;
  name: string;
  uri: string;
  folder: string | null;
  storage_key: string;
  integrity_algorithm: string | null;
  integrity_digest: string | null;
  size: number | string | null;
  verified: boolean | number;
  status: string;
  collected: boolean | number;
  collected_at: string | Date | null;
  collected_digest: string | null;
  error: string | null;
  error_kind?: string | null;
  attempts: number;
  queued_at: string | Date | null;
  locked_by: string | null;
  locked_until: string | Date | null;
  /** When a collector first claimed the file; null if none ever did. */
  claimed_at?: string | Date | null;
  run_id: string | null;
}

/** What a file row is joined with to name it: its version and artifact. */
export interface FileOwnerColumns {
  version: string;
  artifact_ref: number;
  processor: string;
  artifact_id: string;
}

/**
 * The joined columns of {@link FileOwnerColumns}, for a query over
 * `artifact_files as f` joined to `artifact_versions as v` and `artifacts as a`.
 */
export const FILE_OWNER_COLUMNS = [
  'v.version as version',
  'v.artifact_ref as artifact_ref',
  'a.processor as processor',
  'a.id as artifact_id',
];

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The upstream's digest of a file; lower-cased hex when `lowerCase`. */
export function toIntegrity(
  row: Pick<FileRow, 'integrity_algorithm' | 'integrity_digest'>,
  options: { lowerCase?: boolean } = {},
): FileIntegrity | undefined {
  if (!row.integrity_algorithm || !row.integrity_digest) return undefined;
  return {
    algorithm: row.integrity_algorithm as FileIntegrity['algorithm'],
    digest: options.lowerCase ? row.integrity_digest.toLowerCase() : row.integrity_digest,
  };
}

/** The columns {@link toFile} reads, for listings that need nothing else. */
export const LISTED_FILE_COLUMNS = [
  'name',
  'uri',
  'folder',
  'storage_key',
  'integrity_algorithm',
  'integrity_digest',
  'size',
  'verified',
  'status',
  'collected',
  'collected_at',
  'error',
  'error_kind',
  'attempts',
];

/** As the API shows it. */
export function toFile(row: FileRow): ArtifactFile {
  return {
    name: row.name,
    uri: row.uri,
    folder: row.folder ?? undefined,
    storageKey: row.storage_key,
    integrity: toIntegrity(row),
    size: optionalNumber(row.size),
    verified: toBoolean(row.verified),
    status: row.status as ArtifactFile['status'],
    collected: toBoolean(row.collected),
    collectedAt: optionalIso(row.collected_at),
    error: row.error ?? undefined,
    errorKind: (row.error_kind ?? undefined) as ArtifactFile['errorKind'],
    attempts: row.attempts,
  };
}

/** As the collector reads it: with its owner, run and lease. */
export function toStoredFile(row: FileRow & FileOwnerColumns): StoredFile {
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
    lockedUntil: optionalIso(row.locked_until),
    claimedBefore: Boolean(row.claimed_at),
  };
}

/** The columns of a collected file an export reads. */
export type CollectedFileRow = Pick<
  FileRow,
  | 'ref'
  | 'storage_key'
  | 'name'
  | 'size'
  | 'collected_digest'
  | 'integrity_algorithm'
  | 'integrity_digest'
  | 'verified'
> &
  FileOwnerColumns & { collected_at: string | Date };

/** The columns of {@link CollectedFileRow}, for the same joined query. */
export const COLLECTED_FILE_COLUMNS = [
  'f.ref',
  'f.storage_key',
  'f.name',
  'f.size',
  'f.collected_at',
  'f.collected_digest',
  'f.integrity_algorithm',
  'f.integrity_digest',
  'f.verified',
  ...FILE_OWNER_COLUMNS,
];

/** As an export reads it. */
export function toCollectedFile(row: CollectedFileRow): CollectedFile {
  return {
    ref: row.ref,
    storageKey: row.storage_key,
    name: row.name,
    processor: row.processor,
    artifactRef: row.artifact_ref,
    artifactId: row.artifact_id,
    version: row.version,
    size: optionalNumber(row.size),
    collectedAt: toIso(row.collected_at),
    sha256: row.collected_digest ?? undefined,
    integrity: toIntegrity(row),
    verified: toBoolean(row.verified),
  };
}

/** The columns of a file and its version that the views need. */
export type MirroredFileRow = Pick<
  FileRow,
  | 'name'
  | 'folder'
  | 'storage_key'
  | 'integrity_algorithm'
  | 'integrity_digest'
  | 'size'
  | 'collected'
  | 'collected_at'
  | 'collected_digest'
  | 'verified'
> & { version: string; published_at: string | Date | null };

/** The columns of {@link MirroredFileRow}, for `artifact_files as f` joined to `artifact_versions as v`. */
export const MIRRORED_FILE_COLUMNS = [
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

/** As the registry views read it. */
export function toMirroredFile(row: MirroredFileRow): MirroredFile {
  const integrity = toIntegrity(row, { lowerCase: true });
  // collected_digest is the sha256 of the stored bytes; a row recorded from
  // an object that was already stored may carry the upstream digest
  // instead, so only a digest of sha256's length is taken as one.
  const collected = row.collected_digest?.toLowerCase();
  let sha256: string | undefined;
  if (collected && SHA256_HEX.test(collected)) sha256 = collected;
  else if (integrity?.algorithm === 'sha256') sha256 = integrity.digest;
  const size = optionalNumber(row.size);
  const collectedAt = optionalIso(row.collected_at);
  return {
    name: row.name,
    path: row.folder ?? row.storage_key.slice(row.storage_key.indexOf('/') + 1),
    storageKey: row.storage_key,
    ...(integrity ? { integrity } : {}),
    ...(sha256 ? { sha256 } : {}),
    ...(size !== undefined ? { size } : {}),
    ...(collectedAt ? { collectedAt } : {}),
    verified: toBoolean(row.verified),
  };
}

/** The columns of a file the storage key migration reads. */
export type LegacyKeyFileRow = Pick<
  FileRow,
  | 'ref'
  | 'name'
  | 'folder'
  | 'uri'
  | 'storage_key'
  | 'collected'
  | 'integrity_algorithm'
  | 'integrity_digest'
  | 'collected_digest'
  | 'size'
> &
  Pick<FileOwnerColumns, 'processor' | 'artifact_id' | 'version'>;

/** As the storage key migration reads it. */
export function toLegacyKeyFile(row: LegacyKeyFileRow): LegacyKeyFile {
  const integrity = toIntegrity(row, { lowerCase: true });
  const size = optionalNumber(row.size);
  return {
    ref: row.ref,
    processor: row.processor,
    artifactId: row.artifact_id,
    version: row.version,
    name: row.name,
    ...(row.folder !== null ? { folder: row.folder } : {}),
    uri: row.uri,
    storageKey: row.storage_key,
    collected: toBoolean(row.collected),
    ...(integrity ? { integrity } : {}),
    ...(row.collected_digest ? { collectedDigest: row.collected_digest.toLowerCase() } : {}),
    ...(size !== undefined ? { size } : {}),
  };
}
