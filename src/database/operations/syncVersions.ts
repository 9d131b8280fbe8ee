import { NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { ProcessorFile, ProcessorVersion } from '../../processors/types';
import { fileRefusal } from '../../storage/fileRefusal';
import { storageKeyOf } from '../../storage/fileStorageKey';
import { chunks, INSERT_CHUNK } from '../chunks';
import { ArtifactRow } from '../rows/artifacts';
import { now, toBoolean } from '../rows/coerce';
import { DependencyRow, dependencyKey, dependencyRowKey } from '../rows/dependencies';
import { FileRow } from '../rows/files';
import { VersionRow } from '../rows/versions';
import { SyncResult } from '../VersionGraphStore';

type StoredFileDescription = Pick<
  FileRow,
  'ref' | 'version_ref' | 'name' | 'uri' | 'integrity_digest' | 'collected' | 'status' | 'storage_key'
>;
type StoredDependencyDeclaration = Pick<
  DependencyRow,
  'ref' | 'version_ref' | 'processor' | 'dependency_id' | 'kind' | 'range' | 'config' | 'unresolvable'
>;

/**
 * Brings the stored versions of an artifact, their files and their
 * dependencies in line with a processor's answer, in one transaction:
 * inserts what is new, updates the description of uncollected files and
 * of dependencies that changed, deletes dependencies a returned version no
 * longer declares, and never rewrites unchanged rows (a run that finds
 * nothing new writes nothing). Files keep their collection state; new
 * files get the storage key `storageKeyOf` derives, and those
 * `fileRefusal` refuses (or the processor skips) are recorded as parked
 * with the reason. A content-addressed file whose upstream names other
 * bytes (a moved OCI tag) is re-pointed at their key and collected again:
 * the bytes it had stay where they are.
 *
 * With `listingOnly` (the listing of a processor that describes versions
 * on demand) only new versions are inserted; files and dependencies are
 * left to the descriptions.
 */
export async function syncVersions(
  db: Knex,
  artifactRef: number,
  versions: ProcessorVersion[],
  options: { listingOnly?: boolean } = {},
): Promise<SyncResult> {
  const result: SyncResult = { versionsAdded: 0, filesAdded: 0, dependenciesAdded: 0, rowsWritten: 0 };
  await db.transaction(async tx => {
    const artifact = await tx<ArtifactRow>('artifacts').where({ ref: artifactRef }).first();
    if (!artifact) throw new NotFoundError(`No artifact with ref ${artifactRef}`);
    const { refs: versionRefs, stored } = await insertVersions(tx, artifactRef, versions, result);
    if (options.listingOnly) return;
    // Only versions stored before have files and dependencies to compare
    // with: a first discovery reads none, a later one those it returns.
    const existing = versions.map(v => versionRefs.get(v.version)!).filter(ref => stored.has(ref));
    const files = await readFiles(tx, existing);
    const deps = await readDependencies(tx, existing);

    const newFiles: Partial<FileRow>[] = [];
    const newDeps: Partial<DependencyRow>[] = [];
    for (const version of versions) {
      const versionRef = versionRefs.get(version.version)!;
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
      const seen = new Set<string>();
      for (const dep of version.dependencies) {
        const key = dependencyKey(versionRef, dep);
        if (seen.has(key)) continue;
        seen.add(key);
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
    result.rowsWritten += await deleteUndeclared(tx, versions, versionRefs, deps);
    for (const part of chunks(newFiles, INSERT_CHUNK)) {
      await tx('artifact_files').insert(part);
      result.filesAdded += part.length;
    }
    for (const part of chunks(newDeps, INSERT_CHUNK)) {
      await tx('artifact_dependencies').insert(part);
      result.dependenciesAdded += part.length;
    }
  });
  result.rowsWritten += result.versionsAdded + result.filesAdded + result.dependenciesAdded;
  return result;
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

/**
 * Inserts the versions not stored yet; returns the ref of every version by
 * name, and the refs that were stored before.
 */
async function insertVersions(
  tx: Knex.Transaction,
  artifactRef: number,
  versions: ProcessorVersion[],
  result: SyncResult,
): Promise<{ refs: Map<string, number>; stored: Set<number> }> {
  const rows = await tx<VersionRow>('artifact_versions')
    .where({ artifact_ref: artifactRef })
    .select('ref', 'version', 'metadata');
  const refs = new Map<string, number>(rows.map(r => [r.version, r.ref]));
  const stored = new Set(refs.values());
  // The upstream's record of a version changes (a crate is yanked): keep
  // the current one, rewriting only what changed.
  const storedMetadata = new Map(rows.map(r => [r.version, r.metadata ?? null]));
  for (const v of versions) {
    const current = storedMetadata.get(v.version);
    if (current === undefined || v.metadata === undefined || current === v.metadata) continue;
    result.rowsWritten += await tx('artifact_versions')
      .where({ ref: refs.get(v.version)! })
      .update({ metadata: v.metadata });
  }
  const timestamp = now();
  const fresh = versions.filter(v => !refs.has(v.version));
  for (const part of chunks(fresh, INSERT_CHUNK)) {
    const inserted: Array<{ ref: number; version: string }> = await tx('artifact_versions')
      .insert(
        part.map(v => ({
          artifact_ref: artifactRef,
          version: v.version,
          status: 'discovered',
          selection: '[]',
          discovered_at: timestamp,
          published_at: v.publishedAt ?? null,
          metadata: v.metadata ?? null,
        })),
      )
      .returning(['ref', 'version']);
    inserted.forEach(r => refs.set(r.version, r.ref));
    result.versionsAdded += inserted.length;
  }
  return { refs, stored };
}

/** The files of the given versions by version ref and name; indexed by version ref. */
async function readFiles(tx: Knex.Transaction, versionRefs: number[]) {
  const rows: StoredFileDescription[] = [];
  for (const part of chunks(versionRefs)) {
    rows.push(
      ...(await tx('artifact_files')
        .whereIn('version_ref', part)
        .select('ref', 'version_ref', 'name', 'uri', 'integrity_digest', 'collected', 'status', 'storage_key')),
    );
  }
  return new Map(rows.map(r => [`${r.version_ref}\0${r.name}`, r]));
}

/** The dependencies of the given versions by {@link dependencyKey}; indexed by version ref. */
async function readDependencies(tx: Knex.Transaction, versionRefs: number[]) {
  const rows: StoredDependencyDeclaration[] = [];
  for (const part of chunks(versionRefs)) {
    rows.push(
      ...(await tx('artifact_dependencies')
        .whereIn('version_ref', part)
        .select('ref', 'version_ref', 'processor', 'dependency_id', 'kind', 'range', 'config', 'unresolvable')),
    );
  }
  return new Map(rows.map(r => [dependencyRowKey(r.version_ref, r), r]));
}

/**
 * The processor's answer is complete for each version it returned: a
 * dependency it no longer declares (the version was discovered under
 * another config before) must not stand in after a 304. Returns rows deleted.
 */
async function deleteUndeclared(
  tx: Knex.Transaction,
  versions: ProcessorVersion[],
  versionRefs: Map<string, number>,
  stored: Map<string, StoredDependencyDeclaration>,
): Promise<number> {
  const synced = new Set(versions.map(v => versionRefs.get(v.version)!));
  const declared = new Set(
    versions.flatMap(v => v.dependencies.map(d => dependencyKey(versionRefs.get(v.version)!, d))),
  );
  const stale = [...stored.entries()]
    .filter(([key, row]) => synced.has(row.version_ref) && !declared.has(key))
    .map(([, row]) => row.ref);
  let deleted = 0;
  for (const part of chunks(stale)) {
    deleted += await tx('artifact_dependencies').whereIn('ref', part).delete();
  }
  return deleted;
}
