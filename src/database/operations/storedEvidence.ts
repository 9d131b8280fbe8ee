import { Knex } from 'knex';
import { FileIntegrity } from '../../types';
import { evidenceKey, StoredVersionEvidence, StoredVersionFacts } from '../AdmissionStore';
import { chunks, LOOKUP_CHUNK } from '../chunks';
import { versionRefs } from './versionRefs';
import { fromJson } from '../rows/coerce';

/**
 * The stored facts and files of some versions, by {@link evidenceKey}, for
 * admission checks of a run answered 304: the versions by (artifact,
 * version) (see {@link versionRefs}), their facts and files by version
 * ref through the primary key and `artifact_files_key`; a few statements
 * per chunk of versions, only the versions asked for. Versions not stored
 * are left out.
 */
export async function storedEvidence(
  db: Knex,
  versions: Array<{ artifactRef: number; version: string }>,
): Promise<Map<string, StoredVersionEvidence>> {
  const result = new Map<string, StoredVersionEvidence>();
  const refs = await versionRefs(db, versions.map(v => [v.artifactRef, v.version]));
  const keyOf = new Map([...refs].map(([key, ref]) => [ref, key]));
  for (const part of chunks([...keyOf.keys()], LOOKUP_CHUNK)) {
    const facts: Array<{ version_ref: number; facts: string }> = await db('version_facts')
      .whereIn('version_ref', part)
      .select('version_ref', 'facts');
    const factsOf = new Map(facts.map(f => [f.version_ref, f.facts]));
    const files: Array<Omit<EvidenceRow, 'facts'> & { version_ref: number }> = await db('artifact_files')
      .whereIn('version_ref', part)
      .orderBy('ref')
      .select('version_ref', 'name', 'size', 'integrity_algorithm', 'integrity_digest');
    const filesOf = new Map<number, Array<Omit<EvidenceRow, 'facts'>>>();
    for (const file of files) filesOf.set(file.version_ref, [...(filesOf.get(file.version_ref) ?? []), file]);
    for (const ref of part) {
      const key = keyOf.get(ref)!;
      const rows = filesOf.get(ref) ?? [{ name: null, size: null, integrity_algorithm: null, integrity_digest: null }];
      for (const row of rows) addEvidence(result, key, { ...row, facts: factsOf.get(ref) ?? null });
    }
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
