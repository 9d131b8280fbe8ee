import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { NewArtifact } from '../ArtifactStore';
import { BackpackStores, createBackpackStores } from '../createBackpackStores';
import { ProcessorVersion } from '../../processors/types';

/** Every store over a test database, migrated. */
export function createTestStores(knex: Knex): Promise<BackpackStores> {
  return createBackpackStores({ database: { getClient: async () => knex } });
}

/** Deletes every row, children first, so that each test starts empty. */
export async function clearTables(knex: Knex): Promise<void> {
  for (const table of [
    // SQLite does not enforce the cascades, so the children of versions go by hand.
    'version_admissions',
    'version_facts',
    'export_artifacts',
    'exports',
    'artifact_dependencies',
    'artifact_files',
    'artifact_versions',
    'artifacts',
    'mirror_runs',
    'run_collected_counts',
  ]) {
    await knex(table).delete();
  }
}

/** One test database as the tests of a `describeOnEachDatabase` block use it. */
export interface TestDatabase {
  /** Which database, e.g. `POSTGRES_15`. */
  readonly databaseId: TestDatabaseId;
  /** The connection, migrated; read it in hooks and tests, not while describing. */
  readonly knex: Knex;
  /** Every store over `knex`; read it in hooks and tests, not while describing. */
  readonly stores: BackpackStores;
}

/**
 * Describes `body` once on PostgreSQL and once on SQLite (`<title> on <id>`):
 * connects and migrates before the first test, and empties the tables after
 * each, so that every test starts from nothing.
 */
export function describeOnEachDatabase(title: string, body: (db: TestDatabase) => void): void {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  describe.each(databases.eachSupportedId())(`${title} on %p`, databaseId => {
    let knex: Knex | undefined;
    let stores: BackpackStores | undefined;
    const ready = <T>(value: T | undefined): T => {
      if (value === undefined) throw new Error('the test database is ready only in hooks and tests');
      return value;
    };

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      stores = await createTestStores(knex);
    });

    afterEach(() => clearTables(ready(knex)));

    body({
      databaseId,
      get knex() {
        return ready(knex);
      },
      get stores() {
        return ready(stores);
      },
    });
  });
}

/** A root npm artifact as the API adds it, without its id. */
export const rootArtifact: Omit<NewArtifact, 'id'> = {
  processor: 'npm',
  config: {},
  root: true,
  dependencyPolicy: 'latest',
};

/** An npm version `v` with one tarball and runtime dependencies `[id, range]`. */
export function npmVersion(v: string, deps: Array<[string, string]> = []): ProcessorVersion {
  return {
    version: v,
    files: [
      {
        name: `pkg-${v}.tgz`,
        uri: `http://registry.test/pkg/-/pkg-${v}.tgz`,
        path: `pkg/-/pkg-${v}.tgz`,
        integrity: { algorithm: 'sha512', digest: `d${v}` },
      },
    ],
    dependencies: deps.map(([id, range]) => ({ processor: 'npm', id, range, kind: 'runtime' as const })),
  };
}

/** A root npm artifact `id` with versions `versions` stored (discovered); returns its ref. */
export async function npmArtifact(
  stores: Pick<BackpackStores, 'artifacts' | 'versions'>,
  id: string,
  versions: string[],
): Promise<number> {
  const { ref } = await stores.artifacts.createArtifact({ ...rootArtifact, id });
  await stores.versions.syncVersions(ref, versions.map(v => npmVersion(v)));
  return ref;
}

/**
 * An artifact with one selected version `1.0.0` of the given files, none
 * queued yet; returns the files' refs by name.
 */
export async function artifactWithFiles(
  stores: Pick<BackpackStores, 'artifacts' | 'versions' | 'files'>,
  processor: string,
  id: string,
  names: string[],
  root = true,
): Promise<Record<string, number>> {
  const artifact = await stores.artifacts.createArtifact({ ...rootArtifact, processor, id, root });
  await stores.versions.syncVersions(artifact.ref, [
    {
      version: '1.0.0',
      files: names.map(name => ({
        name,
        uri: `http://files.test/${id}/${name}`,
        path: `${id}/${name}`,
        integrity: { algorithm: 'sha256' as const, digest: 'ab' },
      })),
      dependencies: [],
    },
  ]);
  await stores.versions.setSelection(artifact.ref, [{ version: '1.0.0', status: 'selected', selection: [] }]);
  const files = await stores.files.listFilesToQueue({ artifactRefs: [artifact.ref], staleAfterMs: 0 });
  return Object.fromEntries(files.map(f => [f.name, f.ref]));
}

/** A timestamp `ms` ago, for rows a test ages by hand. */
export const past = (ms: number) => new Date(Date.now() - ms).toISOString();
