import { NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { referencedStorageKeys } from './storageKeys';

/**
 * Deletes an artifact with its versions, files and dependencies in one
 * transaction; a NotFoundError when it is gone. Returns the rows deleted
 * and the storage keys of its files that no remaining file references,
 * whose objects may be purged.
 */
export async function deleteArtifact(
  db: Knex,
  ref: number,
): Promise<{ orphanedStorageKeys: string[]; rowsDeleted: number }> {
  return db.transaction(async tx => {
    const versionRefs = tx('artifact_versions').where({ artifact_ref: ref }).select('ref');
    const keys: string[] = (
      await tx('artifact_files').whereIn('version_ref', versionRefs.clone()).distinct('storage_key')
    ).map((r: { storage_key: string }) => r.storage_key);
    // Explicit deletes rather than ON DELETE CASCADE: SQLite only honours
    // foreign keys when the connection enables them.
    let rowsDeleted = 0;
    rowsDeleted += await tx('artifact_dependencies').whereIn('version_ref', versionRefs.clone()).delete();
    rowsDeleted += await tx('artifact_files').whereIn('version_ref', versionRefs.clone()).delete();
    rowsDeleted += await tx('artifact_versions').where({ artifact_ref: ref }).delete();
    const deleted = await tx('artifacts').where({ ref }).delete();
    if (!deleted) throw new NotFoundError(`No artifact with ref ${ref}`);
    rowsDeleted += deleted;
    const stillReferenced = await referencedStorageKeys(tx, keys);
    return { orphanedStorageKeys: keys.filter(k => !stillReferenced.has(k)), rowsDeleted };
  });
}
