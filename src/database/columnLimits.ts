/**
 * Lengths of the `varchar` columns that hold strings from callers and
 * upstreams, as the migrations in `migrations/` declare them. API input and
 * discovery output are bounded by these before they are written, so that the
 * database never has to refuse a string; `databaseErrors.ts` names the column
 * when it does anyway.
 */
export const COLUMN_LIMITS = {
  /** `artifacts.processor`, `artifact_dependencies.processor`. */
  processor: 64,
  /** `artifacts.id`, `artifact_dependencies.dependency_id`, `mirror_runs.scope_id`. */
  artifactId: 512,
  /** `artifact_versions.version`. */
  version: 256,
  /** `artifact_dependencies.range`. */
  range: 1024,
  /** `artifact_files.name`. */
  fileName: 512,
  /** `artifact_files.folder` and `storage_key` (the key adds `<processor>/`). */
  storagePath: 1024 - 65,
  /** `artifact_files.integrity_digest`. */
  digest: 256,
} as const;

/** A length-limited column and what the API or a processor calls it. */
export interface VarcharColumn {
  column: string;
  field: string;
  length: number;
}

/** `[column, field, length]` rows as {@link VarcharColumn}s. */
const columns = (...rows: Array<[column: string, field: string, length: number]>): VarcharColumn[] =>
  rows.map(([column, field, length]) => ({ column, field, length }));

const { processor, artifactId, version, range, fileName, digest } = COLUMN_LIMITS;
/** Short codes: filter types, dependency policies and kinds, digest algorithms. */
const CODE = 16;
/** Who created or requested something. */
const PRINCIPAL = 512;
/** `artifact_files.folder` and `storage_key` as declared. */
const PATH = 1024;

/**
 * Every length-limited column by table, for naming the column of a
 * "value too long" error.
 */
export const VARCHAR_COLUMNS: Record<string, VarcharColumn[]> = {
  artifacts: columns(
    ['processor', 'processor', processor],
    ['id', 'id', artifactId],
    ['filter_type', 'filterType', CODE],
    ['dependency_policy', 'dependencyPolicy', CODE],
    ['created_by', 'createdBy', PRINCIPAL],
  ),
  artifact_versions: columns(['version', 'version', version]),
  artifact_files: columns(
    ['name', 'file name', fileName],
    ['folder', 'file path', PATH],
    ['storage_key', 'storage key', PATH],
    ['integrity_algorithm', 'integrity algorithm', CODE],
    ['integrity_digest', 'integrity digest', digest],
  ),
  artifact_dependencies: columns(
    ['processor', 'dependency processor', processor],
    ['dependency_id', 'dependency id', artifactId],
    ['range', 'range', range],
    ['kind', 'dependency kind', CODE],
  ),
  mirror_runs: columns(
    ['scope_processor', 'processor', processor],
    ['scope_id', 'id', artifactId],
    ['requested_by', 'requestedBy', PRINCIPAL],
  ),
  exports: columns(['requested_by', 'requestedBy', PRINCIPAL]),
  export_artifacts: columns(['processor', 'processor', processor], ['artifact_id', 'id', artifactId]),
};
