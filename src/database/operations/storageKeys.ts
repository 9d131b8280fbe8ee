import { Knex } from 'knex';
import { chunks } from '../chunks';

// Whether stored objects are still referenced by a file row: an object is
// purged only when no file, of any artifact, references its key.

/** Whether any file row references the key. */
export async function isStorageKeyReferenced(db: Knex, storageKey: string): Promise<boolean> {
  const row = await db('artifact_files').where({ storage_key: storageKey }).first('ref');
  return Boolean(row);
}

/** Those of `keys` that a file row references. */
export async function referencedStorageKeys(db: Knex, keys: readonly string[]): Promise<Set<string>> {
  const referenced = new Set<string>();
  for (const part of chunks(keys)) {
    const rows: Array<{ storage_key: string }> = await db('artifact_files')
      .whereIn('storage_key', part)
      .distinct('storage_key');
    rows.forEach(r => referenced.add(r.storage_key));
  }
  return referenced;
}
