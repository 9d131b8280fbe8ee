import { Knex } from 'knex';
import { ListedVersion, ListingEntry, SyncResult } from '../VersionGraphStore';
import { recordDiscoveries } from './recordDiscoveries';
import { insertVersions } from './syncVersions';

/**
 * Stores what discoveries of several artifacts found, in one transaction:
 * the versions each lists that are new (as `syncVersions` with
 * `listingOnly` does for one) and the outcome on each artifact (validators,
 * tags, warnings; as `recordDiscovery`), a few statements for a walk's
 * batch of artifacts rather than seven per artifact. Validators are never
 * stored without the versions they stand for. Fails as a whole, with a
 * NotFoundError when an artifact is gone. Returns, per entry, the listed
 * versions' rows (see {@link SyncResult.listed}).
 */
export async function recordListings(
  db: Knex,
  entries: ListingEntry[],
): Promise<{ listed: Array<Map<string, ListedVersion>>; result: SyncResult }> {
  const result: SyncResult = { versionsAdded: 0, filesAdded: 0, dependenciesAdded: 0, rowsWritten: 0 };
  const listed = await db.transaction(async tx => {
    // The outcomes first: their read finds an artifact that is gone.
    result.rowsWritten += await recordDiscoveries(
      tx,
      entries.map(e => ({ ref: e.artifactRef, outcome: e.outcome })),
      { mustExist: true },
    );
    const stored = await insertVersions(tx, entries, { described: false }, result);
    return entries.map(e => {
      const rows = stored.get(e.artifactRef)!;
      return new Map(
        e.versions.map(v => {
          const { ref, described } = rows.get(v.version)!;
          return [v.version, { ref, described }];
        }),
      );
    });
  });
  result.rowsWritten += result.versionsAdded;
  return { listed, result };
}
