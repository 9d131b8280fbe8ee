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

/**
 * Every length-limited column by table, for naming the column of a
 * "value too long" error. `field` is what the API or a processor calls it.
 */
export const VARCHAR_COLUMNS: Record<string, Array<{ column: string; field: string; length: number }>> = {
  artifacts: [
    { column: 'processor', field: 'processor', length: 64 },
    { column: 'id', field: 'id', length: 512 },
    { column: 'filter_type', field: 'filterType', length: 16 },
    { column: 'dependency_policy', field: 'dependencyPolicy', length: 16 },
    { column: 'created_by', field: 'createdBy', length: 512 },
  ],
  artifact_versions: [{ column: 'version', field: 'version', length: 256 }],
  artifact_files: [
    { column: 'name', field: 'file name', length: 512 },
    { column: 'folder', field: 'file path', length: 1024 },
    { column: 'storage_key', field: 'storage key', length: 1024 },
    { column: 'integrity_algorithm', field: 'integrity algorithm', length: 16 },
    { column: 'integrity_digest', field: 'integrity digest', length: 256 },
  ],
  artifact_dependencies: [
    { column: 'processor', field: 'dependency processor', length: 64 },
    { column: 'dependency_id', field: 'dependency id', length: 512 },
    { column: 'range', field: 'range', length: 1024 },
    { column: 'kind', field: 'dependency kind', length: 16 },
  ],
  mirror_runs: [
    { column: 'scope_processor', field: 'processor', length: 64 },
    { column: 'scope_id', field: 'id', length: 512 },
    { column: 'requested_by', field: 'requestedBy', length: 512 },
  ],
  exports: [{ column: 'requested_by', field: 'requestedBy', length: 512 }],
  export_artifacts: [
    { column: 'processor', field: 'processor', length: 64 },
    { column: 'artifact_id', field: 'id', length: 512 },
  ],
};
