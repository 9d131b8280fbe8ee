import { Knex } from 'knex';
import { chunks } from '../chunks';
import { SyncResult } from '../VersionGraphStore';
import { DescribedVersion, syncVersionDetails } from './versionDetails';

/** Artifacts per transaction: small transactions, few statements each. */
const ARTIFACTS_PER_TRANSACTION = 200;

/**
 * Stores the files and dependencies of versions already listed (a run's
 * selected versions, after the walk), by the rows the listing returned, for
 * many artifacts in a few statements per few hundred artifacts: nothing is
 * looked up, what was described before is read by version ref to compare
 * with, and the rest is inserted in multi-row statements (see
 * `syncVersionDetails`).
 */
export async function describeVersions(
  db: Knex,
  entries: Array<{ artifact: { processor: string; id: string }; versions: DescribedVersion[] }>,
): Promise<SyncResult> {
  const result: SyncResult = { versionsAdded: 0, filesAdded: 0, dependenciesAdded: 0, rowsWritten: 0 };
  const wanted = entries.filter(e => e.versions.length > 0);
  for (const batch of chunks(wanted, ARTIFACTS_PER_TRANSACTION)) {
    await db.transaction(tx => syncVersionDetails(tx, batch, result));
  }
  result.rowsWritten += result.filesAdded + result.dependenciesAdded;
  return result;
}
