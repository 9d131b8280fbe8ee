import { NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { ProcessorVersion } from '../../processors/types';
import { chunks, INSERT_CHUNK, LOOKUP_CHUNK } from '../chunks';
import { ArtifactRow } from '../rows/artifacts';
import { now, toBoolean } from '../rows/coerce';
import { VersionRow } from '../rows/versions';
import { SyncResult } from '../VersionGraphStore';
import { DescribedVersion, syncVersionDetails } from './versionDetails';

/**
 * Brings the stored versions of an artifact, their files and their
 * dependencies in line with a processor's answer, in one transaction:
 * inserts the versions that are new, and syncs the files and dependencies
 * of every version returned (see `syncVersionDetails`), never rewriting
 * unchanged rows (a run that finds nothing new writes nothing).
 *
 * With `listingOnly` only new versions are inserted, marked undescribed:
 * their files and dependencies are left to a later description (a run
 * stores those of the versions it selects; a processor that describes
 * versions on demand describes them).
 */
export async function syncVersions(
  db: Knex,
  artifactRef: number,
  versions: ProcessorVersion[],
  options: { listingOnly?: boolean } = {},
): Promise<SyncResult> {
  const result: SyncResult = { versionsAdded: 0, filesAdded: 0, dependenciesAdded: 0, rowsWritten: 0 };
  const listingOnly = Boolean(options.listingOnly);
  await db.transaction(async tx => {
    const artifact = await tx<ArtifactRow>('artifacts').where({ ref: artifactRef }).first();
    if (!artifact) throw new NotFoundError(`No artifact with ref ${artifactRef}`);
    const stored = (await insertVersions(tx, [{ artifactRef, versions }], { described: !listingOnly }, result)).get(
      artifactRef,
    )!;
    if (listingOnly) {
      result.listed = new Map(
        versions.map(v => {
          const { ref, described } = stored.get(v.version)!;
          return [v.version, { ref, described }];
        }),
      );
      return;
    }
    await syncVersionDetails(
      tx,
      [{ artifact, versions: versions.map(version => ({ ...stored.get(version.version)!, version })) }],
      result,
    );
  });
  result.rowsWritten += result.versionsAdded + result.filesAdded + result.dependenciesAdded;
  return result;
}

/**
 * Inserts the versions of artifacts not stored yet (described as
 * `described` says: a listing's are not), a read per {@link LOOKUP_CHUNK}
 * artifacts and a multi-row insert per {@link INSERT_CHUNK} versions;
 * returns every version's row by artifact ref and name, see
 * {@link DescribedVersion}.
 */
export async function insertVersions(
  tx: Knex.Transaction,
  entries: Array<{ artifactRef: number; versions: ProcessorVersion[] }>,
  options: { described: boolean },
  result: SyncResult,
): Promise<Map<number, Map<string, Omit<DescribedVersion, 'version'>>>> {
  const stored = new Map<number, Map<string, Omit<DescribedVersion, 'version'>>>(
    entries.map(e => [e.artifactRef, new Map()]),
  );
  const storedMetadata = new Map<string, string | null>();
  // An equality per artifact, in one statement: while the table's
  // statistics lag a first run's growth, PostgreSQL takes each key of an
  // `in (…)` list for a share of the table and reads all of it instead.
  for (const part of chunks([...stored.keys()], LOOKUP_CHUNK)) {
    const [first, ...others] = part.map(artifactRef =>
      tx<VersionRow>('artifact_versions')
        .where({ artifact_ref: artifactRef })
        .select('ref', 'artifact_ref', 'version', 'metadata', 'described'),
    );
    const rows: Array<Pick<VersionRow, 'ref' | 'artifact_ref' | 'version' | 'metadata' | 'described'>> =
      await (others.length ? first.unionAll(others) : first);
    for (const r of rows) {
      stored.get(r.artifact_ref)!.set(r.version, { ref: r.ref, described: toBoolean(r.described) });
      storedMetadata.set(`${r.artifact_ref}\0${r.version}`, r.metadata ?? null);
    }
  }
  // The upstream's record of a version changes (a crate is yanked): keep
  // the current one, rewriting only what changed.
  const fresh: Array<{ artifactRef: number; version: ProcessorVersion }> = [];
  for (const { artifactRef, versions } of entries) {
    const byVersion = stored.get(artifactRef)!;
    const adding = new Set<string>();
    for (const v of versions) {
      const current = storedMetadata.get(`${artifactRef}\0${v.version}`);
      if (current === undefined) {
        if (!byVersion.has(v.version) && !adding.has(v.version)) {
          adding.add(v.version);
          fresh.push({ artifactRef, version: v });
        }
        continue;
      }
      if (v.metadata === undefined || current === v.metadata) continue;
      result.rowsWritten += await tx('artifact_versions')
        .where({ ref: byVersion.get(v.version)!.ref })
        .update({ metadata: v.metadata });
    }
  }
  const timestamp = now();
  for (const part of chunks(fresh, INSERT_CHUNK)) {
    const inserted: Array<{ ref: number; artifact_ref: number; version: string }> = await tx('artifact_versions')
      .insert(
        part.map(({ artifactRef, version: v }) => ({
          artifact_ref: artifactRef,
          version: v.version,
          status: 'discovered',
          selection: '[]',
          discovered_at: timestamp,
          published_at: v.publishedAt ?? null,
          metadata: v.metadata ?? null,
          // Unless a listing's, described by the details synced right after.
          described: options.described,
        })),
      )
      .returning(['ref', 'artifact_ref', 'version']);
    inserted.forEach(r => stored.get(r.artifact_ref)!.set(r.version, { ref: r.ref, described: false, fresh: true }));
    result.versionsAdded += inserted.length;
  }
  return stored;
}
