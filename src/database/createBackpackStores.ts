import { DatabaseService } from '@backstage/backend-plugin-api';
import { AdmissionStore } from './AdmissionStore';
import { ArtifactStore } from './ArtifactStore';
import { translatingDatabaseErrors } from './databaseErrors';
import { DatabaseAdmissionStore } from './DatabaseAdmissionStore';
import { DatabaseArtifactStore } from './DatabaseArtifactStore';
import { DatabaseExportStore } from './DatabaseExportStore';
import { DatabaseFileStore } from './DatabaseFileStore';
import { DatabaseLegacyKeyStore } from './DatabaseLegacyKeyStore';
import { DatabaseMirrorReadStore } from './DatabaseMirrorReadStore';
import { DatabaseRunStore } from './DatabaseRunStore';
import { DatabaseVersionGraphStore } from './DatabaseVersionGraphStore';
import { ExportStore } from './ExportStore';
import { FileStore } from './FileStore';
import { LegacyKeyStore } from './LegacyKeyStore';
import { migrationsDirectory } from './migrationsDirectory';
import { MirrorReadStore } from './MirrorReadStore';
import { RunStore } from './RunStore';
import { VersionGraphStore } from './VersionGraphStore';
import { WriteCounter } from './WriteCounter';

/**
 * Everything Backpack keeps in its database, one store per concept, over
 * one knex client. Services take the stores they use as
 * `stores: Pick<BackpackStores, …>`.
 */
export interface BackpackStores {
  artifacts: ArtifactStore;
  versions: VersionGraphStore;
  files: FileStore;
  runs: RunStore;
  exports: ExportStore;
  /** What the registry views read: collected files of selected versions. */
  mirror: MirrorReadStore;
  /** The database side of the storage key migration. */
  legacyKeys: LegacyKeyStore;
  /** Admission verdicts and approvals of versions. */
  admissions: AdmissionStore;
  /** Rows these stores wrote to the mirrored content; see {@link WriteCounter}. */
  writes: Pick<WriteCounter, 'rows'>;
}

/** Options of {@link createBackpackStores}. */
export interface BackpackStoresOptions {
  /** The plugin's database; its `migrations.skip` is honoured. */
  database: Pick<DatabaseService, 'getClient' | 'migrations'>;
  /** Overrides `database.migrations.skip`, e.g. for a second set over a migrated database. */
  skipMigrations?: boolean;
  /**
   * Name the per-file statements so each connection plans them once
   * (default true); false for a connection pooler without
   * prepared-statement support (`backpack.database.preparedStatements`).
   */
  preparedStatements?: boolean;
}

/**
 * Creates every store over the plugin's one knex client, after applying
 * the package's migrations (unless skipped). Each store's methods reject
 * with a 4xx error naming the field when the database refuses a value its
 * caller supplied (see `databaseErrors.ts`); the stores share one write
 * counter.
 */
export async function createBackpackStores(options: BackpackStoresOptions): Promise<BackpackStores> {
  const { database } = options;
  const db = await database.getClient();
  if (!(options.skipMigrations ?? database.migrations?.skip)) {
    await db.migrate.latest({ directory: migrationsDirectory() });
  }
  const writes = new WriteCounter();
  const translated = <T extends object>(store: T): T => translatingDatabaseErrors(store, db);
  const artifacts = translated<ArtifactStore>(new DatabaseArtifactStore(db, writes));
  return {
    artifacts,
    versions: translated<VersionGraphStore>(new DatabaseVersionGraphStore(db, writes)),
    files: translated<FileStore>(new DatabaseFileStore(db, writes, { preparedStatements: options.preparedStatements })),
    runs: translated<RunStore>(new DatabaseRunStore(db)),
    exports: translated<ExportStore>(new DatabaseExportStore(db)),
    mirror: translated<MirrorReadStore>(new DatabaseMirrorReadStore(db, artifacts)),
    legacyKeys: translated<LegacyKeyStore>(new DatabaseLegacyKeyStore(db, writes)),
    admissions: translated<AdmissionStore>(new DatabaseAdmissionStore(db)),
    writes,
  };
}
