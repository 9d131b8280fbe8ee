import { Knex } from 'knex';
import { ProcessorFile, ProcessorVersion } from '../../processors/types';
import { fileRefusal } from '../../storage/fileRefusal';
import { storageKeyOf } from '../../storage/fileStorageKey';
import { chunks, INSERT_CHUNK, LOOKUP_CHUNK } from '../chunks';
import { toBoolean } from '../rows/coerce';
import { DependencyRow, dependencyKey, dependencyRowKey } from '../rows/dependencies';
import { FileRow } from '../rows/files';
import { ArtifactDependency } from '../../types';
import { SyncResult } from '../VersionGraphStore';

/** What a sync compares of a stored file: the columns it reads, and their types. */
const FILE_COLUMNS = ['ref', 'version_ref', 'name', 'uri', 'integrity_digest', 'collected', 'status', 'storage_key'] as const;
type StoredFileDescription = Pick<FileRow, (typeof FILE_COLUMNS)[number]>;
/** What a sync compares of a stored dependency. */
const DEPENDENCY_COLUMNS = ['ref', 'version_ref', 'processor', 'dependency_id', 'kind', 'range', 'config', 'unresolvable'] as const;
type StoredDependencyDeclaration = Pick<DependencyRow, (typeof DEPENDENCY_COLUMNS)[number]>;

/** One stored version and the processor's description of it. */
export interface DescribedVersion {
  /** The version's row. */
  ref: number;
  /** Whether its files and dependencies were stored before: only then are they read to compare. */
  described: boolean;
  /** Inserted in this transaction already marked described: nothing to read, nothing to mark. */
  fresh?: boolean;
  version: ProcessorVersion;
  /**
   * How this run resolved the version's dependencies (the walk's
   * `ArtifactDependency`s): new dependency rows are written with their
   * resolution, so that recording it afterwards has nothing to change.
   */
  resolutions?: Array<Pick<ArtifactDependency, 'processor' | 'id' | 'kind' | 'range' | 'resolved' | 'unresolvable'>>;
}

/**
 * Brings the files and dependencies of stored versions in line with the
 * processor's description of them, for versions of many artifacts at once,
 * and marks the versions described: inserts what is new (in multi-row
 * statements across artifacts), updates the description of uncollected
 * files and of dependencies that changed, deletes dependencies a version no
 * longer declares, and never rewrites unchanged rows. Files keep their
 * collection state; new files get the storage key `storageKeyOf` derives,
 * and those `fileRefusal` refuses (or the processor skips) are recorded as
 * parked with the reason. A content-addressed file whose upstream names
 * other bytes (a moved OCI tag) is re-pointed at their key and collected
 * again: the bytes it had stay where they are. Counts into `result`.
 */
export async function syncVersionDetails(
  tx: Knex.Transaction,
  entries: Array<{ artifact: { processor: string; id: string }; versions: DescribedVersion[] }>,
  result: SyncResult,
): Promise<void> {
  // Only versions described before have rows to compare with: a first
  // description reads none.
  const existing = entries.flatMap(e => e.versions.filter(v => v.described).map(v => v.ref));
  const files = await readFiles(tx, existing);
  const deps = await readDependencies(tx, existing);

  const newFiles: Partial<FileRow>[] = [];
  const newDeps: Partial<DependencyRow>[] = [];
  const declared = new Set<string>();
  for (const { artifact, versions } of entries) {
    for (const { ref: versionRef, version, resolutions } of versions) {
      const resolutionOf = new Map(resolutions?.map(r => [dependencyKey('', r), r]));
      for (const file of version.files) {
        const current = files.get(`${versionRef}\0${file.name}`);
        const { description, refusal } = describeFile(version.version, file);
        const parking = refusal ? { status: 'parked', error: refusal, error_kind: 'permanent' } : {};
        // Derived here, never taken from the processor.
        const storageKey = storageKeyOf({
          processor: artifact.processor,
          artifactId: artifact.id,
          version: version.version,
          name: file.name,
          contentAddressed: file.contentAddressed,
          integrity: file.integrity,
        });
        if (!current) {
          newFiles.push({
            version_ref: versionRef,
            name: file.name,
            folder: file.path,
            storage_key: storageKey,
            ...description,
            status: 'pending',
            error: null,
            error_kind: null,
            ...parking,
            collected: false,
            attempts: 0,
          });
        } else if (file.contentAddressed && current.storage_key !== storageKey) {
          // Other bytes under the same name: a new key, collected afresh.
          // A collector still storing the old bytes records the old key,
          // which the next sync re-points again.
          result.rowsWritten += await tx('artifact_files')
            .where({ ref: current.ref })
            .update({
              ...description,
              storage_key: storageKey,
              status: 'pending',
              collected: false,
              collected_at: null,
              collected_digest: null,
              error: null,
              error_kind: null,
              attempts: 0,
              ...parking,
            });
        } else if (
          !toBoolean(current.collected) &&
          (current.uri !== file.uri ||
            current.integrity_digest !== description.integrity_digest ||
            (refusal !== undefined && current.status !== 'parked'))
        ) {
          // The upstream moved or re-published an uncollected file: take
          // the new description. Collected bytes are never replaced.
          result.rowsWritten += await tx('artifact_files')
            .where({ ref: current.ref })
            .update({ ...description, ...parking });
        }
      }
      for (const dep of version.dependencies) {
        const key = dependencyKey(versionRef, dep);
        if (declared.has(key)) continue;
        declared.add(key);
        const current = deps.get(key);
        const config = JSON.stringify(dep.config ?? {});
        const unresolvable = dep.unresolvable ?? null;
        if (!current) {
          const resolution = resolutionOf.get(dependencyKey('', dep));
          newDeps.push({
            version_ref: versionRef,
            processor: dep.processor,
            dependency_id: dep.id,
            range: dep.range,
            kind: dep.kind,
            config,
            resolved: JSON.stringify(resolution?.resolved ?? []),
            unresolvable,
            // As `setResolutions` records it: only the run's own reason.
            resolution_error:
              resolution?.unresolvable !== undefined && resolution.unresolvable !== unresolvable
                ? resolution.unresolvable
                : null,
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
  }
  // The description is complete for each version: a dependency it no
  // longer declares (the version was discovered under another config
  // before) must not stand in after a 304.
  const stale = [...deps.entries()].filter(([key]) => !declared.has(key)).map(([, row]) => row.ref);
  for (const part of chunks(stale)) {
    result.rowsWritten += await tx('artifact_dependencies').whereIn('ref', part).delete();
  }
  for (const part of chunks(newFiles, INSERT_CHUNK)) {
    await tx('artifact_files').insert(part);
    result.filesAdded += part.length;
  }
  for (const part of chunks(newDeps, INSERT_CHUNK)) {
    await tx('artifact_dependencies').insert(part);
    result.dependenciesAdded += part.length;
  }
  const undescribed = entries.flatMap(e => e.versions.filter(v => !v.described && !v.fresh).map(v => v.ref));
  for (const part of chunks(undescribed)) {
    result.rowsWritten += await tx('artifact_versions').whereIn('ref', part).update({ described: true });
  }
}

/**
 * The columns of a file that come from the upstream. Names and layout
 * hints come from the upstream too: an unsafe one parks the file with the
 * reason, never downloaded.
 */
function describeFile(
  version: string,
  file: ProcessorFile,
): { description: Partial<FileRow>; refusal?: string } {
  const digest = file.integrity?.digest ?? null;
  return {
    description: {
      uri: file.uri,
      integrity_algorithm: file.integrity?.algorithm ?? null,
      integrity_digest: digest,
      verified: digest !== null,
      size: file.size ?? null,
    },
    refusal: fileRefusal({ name: file.name, version, path: file.path }) ?? file.skipped,
  };
}

/** The files of the given versions by version ref and name; by the leading column of `artifact_files_key`. */
async function readFiles(tx: Knex.Transaction, versionRefs: number[]) {
  const rows = await rowsOfVersions<StoredFileDescription>(tx, 'artifact_files', versionRefs, FILE_COLUMNS);
  return new Map(rows.map(r => [`${r.version_ref}\0${r.name}`, r]));
}

/** The dependencies of the given versions by {@link dependencyKey}; by the leading column of `artifact_dependencies_key`. */
async function readDependencies(tx: Knex.Transaction, versionRefs: number[]) {
  const rows = await rowsOfVersions<StoredDependencyDeclaration>(
    tx,
    'artifact_dependencies',
    versionRefs,
    DEPENDENCY_COLUMNS,
  );
  return new Map(rows.map(r => [dependencyRowKey(r.version_ref, r), r]));
}

/** The given columns of a table's rows that belong to the versions, {@link LOOKUP_CHUNK} versions a statement. */
async function rowsOfVersions<T>(
  tx: Knex.Transaction,
  table: string,
  versionRefs: number[],
  columns: readonly string[],
): Promise<T[]> {
  const rows: T[] = [];
  for (const part of chunks(versionRefs, LOOKUP_CHUNK)) {
    rows.push(...(await tx(table).whereIn('version_ref', part).select(columns)));
  }
  return rows;
}
