import { NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { ProcessorVersion } from '../../processors/types';
import { chunks, LOOKUP_CHUNK } from '../chunks';
import { ArtifactRow } from '../rows/artifacts';
import { toBoolean } from '../rows/coerce';
import { SyncResult } from '../VersionGraphStore';
import { DescribedVersion, syncVersionDetails } from './versionDetails';

/** Artifacts per transaction: small transactions, few statements each. */
const ARTIFACTS_PER_TRANSACTION = 200;

/**
 * Stores the files and dependencies of versions already listed (a run's
 * selected versions, after the walk), for many artifacts in a few
 * statements per few hundred artifacts: versions by (artifact, version)
 * through `artifact_versions_key`, then `syncVersionDetails` for all of
 * them at once. A version that is not listed is a caller's error.
 */
export async function describeVersions(
  db: Knex,
  entries: Array<{ artifactRef: number; versions: ProcessorVersion[] }>,
): Promise<SyncResult> {
  const result: SyncResult = { versionsAdded: 0, filesAdded: 0, dependenciesAdded: 0, rowsWritten: 0 };
  const wanted = entries.filter(e => e.versions.length > 0);
  for (const batch of chunks(wanted, ARTIFACTS_PER_TRANSACTION)) {
    await db.transaction(async tx => {
      const artifacts = new Map<number, ArtifactRow>();
      for (const part of chunks(batch.map(e => e.artifactRef), LOOKUP_CHUNK)) {
        const rows: ArtifactRow[] = await tx('artifacts').whereIn('ref', part);
        rows.forEach(row => artifacts.set(row.ref, row));
      }
      const pairs = batch.flatMap(e => e.versions.map(v => [e.artifactRef, v.version] as [number, string]));
      const stored = new Map<string, { ref: number; described: boolean }>();
      for (const part of chunks(pairs, LOOKUP_CHUNK)) {
        const rows: Array<{ ref: number; artifact_ref: number; version: string; described: unknown }> = await tx(
          'artifact_versions',
        )
          .whereIn(['artifact_ref', 'version'], part)
          .select('ref', 'artifact_ref', 'version', 'described');
        for (const row of rows) {
          stored.set(`${row.artifact_ref}\0${row.version}`, { ref: row.ref, described: toBoolean(row.described) });
        }
      }
      await syncVersionDetails(
        tx,
        batch.map(({ artifactRef, versions }) => {
          const artifact = artifacts.get(artifactRef);
          if (!artifact) throw new NotFoundError(`No artifact with ref ${artifactRef}`);
          return {
            artifact,
            versions: versions.map((version): DescribedVersion => {
              const row = stored.get(`${artifactRef}\0${version.version}`);
              if (!row) throw new NotFoundError(`Version ${version.version} of ${artifact.processor}:${artifact.id} is not listed`);
              return { ...row, version };
            }),
          };
        }),
        result,
      );
    });
  }
  result.rowsWritten += result.filesAdded + result.dependenciesAdded;
  return result;
}
