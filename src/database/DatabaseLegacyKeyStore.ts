import { Knex } from 'knex';
import { CONTENT_KEY_ROOT, FILE_KEY_ROOT } from '../storage/fileStorageKey';
import { LegacyKeyFile, LegacyKeyStore } from './LegacyKeyStore';
import { isStorageKeyReferenced } from './operations/storageKeys';
import { LegacyKeyFileRow, toLegacyKeyFile } from './rows/files';
import { WriteCounter } from './WriteCounter';

/** The knex implementation of {@link LegacyKeyStore}, for SQLite and PostgreSQL alike. */
export class DatabaseLegacyKeyStore implements LegacyKeyStore {
  constructor(
    private readonly db: Knex,
    private readonly writes: WriteCounter,
  ) {}

  async listLegacyKeyFiles(page: { afterRef: number; limit: number }): Promise<LegacyKeyFile[]> {
    const rows: LegacyKeyFileRow[] = await this.db('artifact_files as f')
      .join('artifact_versions as v', 'v.ref', 'f.version_ref')
      .join('artifacts as a', 'a.ref', 'v.artifact_ref')
      .where('f.ref', '>', page.afterRef)
      // Old keys start with the processor's name; only a processor named
      // like the new root can have old keys that look new.
      .where(q =>
        q.whereNot('f.storage_key', 'like', `${FILE_KEY_ROOT}/%`).orWhere('a.processor', FILE_KEY_ROOT),
      )
      // Content-addressed keys are derived from the digest, never legacy.
      .whereNot('f.storage_key', 'like', `${CONTENT_KEY_ROOT}/sha256/%`)
      .orderBy('f.ref')
      .limit(page.limit)
      .select(
        'f.ref',
        'a.processor',
        'a.id as artifact_id',
        'v.version',
        'f.name',
        'f.folder',
        'f.uri',
        'f.storage_key',
        'f.collected',
        'f.integrity_algorithm',
        'f.integrity_digest',
        'f.collected_digest',
        'f.size',
      );
    return rows.map(toLegacyKeyFile);
  }

  async rekeyUncollected(
    ref: number,
    keys: { from: string; to: string },
    refusal?: string,
  ): Promise<boolean> {
    const updated = await this.db('artifact_files')
      .where({ ref, storage_key: keys.from, collected: false })
      .update({
        storage_key: keys.to,
        ...(refusal ? { status: 'parked', error: refusal, locked_by: null, locked_until: null } : {}),
      });
    return this.writes.add(updated) === 1;
  }

  async moveCollected(
    ref: number,
    keys: { from: string; to: string },
    sha256: string,
  ): Promise<boolean> {
    const updated = await this.db('artifact_files')
      .where({ ref, storage_key: keys.from, collected: true })
      .update({ storage_key: keys.to, collected_digest: sha256 });
    return this.writes.add(updated) === 1;
  }

  async resetCollected(
    ref: number,
    keys: { from: string; to: string },
    outcome: { reason: string; parked: boolean },
  ): Promise<boolean> {
    // The run that collected it keeps its report; the file starts afresh.
    const updated = await this.db('artifact_files')
      .where({ ref, storage_key: keys.from, collected: true })
      .update({
        storage_key: keys.to,
        collected: false,
        status: outcome.parked ? 'parked' : 'pending',
        error: outcome.reason,
        collected_at: null,
        collected_digest: null,
        attempts: 0,
        queued_at: null,
        locked_by: null,
        locked_until: null,
        run_id: null,
      });
    return this.writes.add(updated) === 1;
  }

  isStorageKeyReferenced(storageKey: string): Promise<boolean> {
    return isStorageKeyReferenced(this.db, storageKey);
  }
}
