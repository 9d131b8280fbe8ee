import { Knex } from 'knex';
import { FileIntegrity } from '../../types';
import { evidenceKey, StoredVersionEvidence, StoredVersionFacts } from '../AdmissionStore';
import { chunks } from '../chunks';
import { fromJson } from '../rows/coerce';

/**
 * The stored facts and files of some versions, by {@link evidenceKey}, for
 * admission checks of a run answered 304: the versions by (artifact,
 * version) through `artifact_versions_key`, their facts and files by
 * version ref; one statement per {@link chunks} of versions, only the
 * versions asked for. Versions not stored are left out.
 */
export async function storedEvidence(
  db: Knex,
  versions: Array<{ artifactRef: number; version: string }>,
): Promise<Map<string, StoredVersionEvidence>> {
  const result = new Map<string, StoredVersionEvidence>();
  const pairs = [...new Map(versions.map(v => [evidenceKey(v.artifactRef, v.version), [v.artifactRef, v.version]])).values()];
  for (const part of chunks(pairs)) {
    const rows: Array<EvidenceRow & { artifact_ref: number; version: string }> = await db('artifact_versions as v')
      .leftJoin('version_facts as vf', 'vf.version_ref', 'v.ref')
      .leftJoin('artifact_files as f', 'f.version_ref', 'v.ref')
      .whereIn(['v.artifact_ref', 'v.version'], part)
      .select('v.artifact_ref', 'v.version', 'vf.facts', 'f.name', 'f.size', 'f.integrity_algorithm', 'f.integrity_digest');
    for (const row of rows) addEvidence(result, evidenceKey(row.artifact_ref, row.version), row);
  }
  return result;
}

/** A row of a version left-joined with its facts and files. */
export interface EvidenceRow {
  facts: string | null;
  name: string | null;
  size: number | string | null;
  integrity_algorithm: string | null;
  integrity_digest: string | null;
}

/** Adds one joined row to the evidence of its version (a version without files has one row, name null). */
export function addEvidence(result: Map<string, StoredVersionEvidence>, key: string, row: EvidenceRow): void {
  let evidence = result.get(key);
  if (!evidence) {
    evidence = { facts: fromJson<StoredVersionFacts>(row.facts, {}), files: [] };
    result.set(key, evidence);
  }
  if (row.name === null) return;
  evidence.files.push({
    name: row.name,
    ...(row.size !== null ? { size: Number(row.size) } : {}),
    ...(row.integrity_algorithm && row.integrity_digest
      ? {
          integrity: {
            algorithm: row.integrity_algorithm as FileIntegrity['algorithm'],
            digest: row.integrity_digest,
          },
        }
      : {}),
  });
}
