import { createHash, randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import { fileStorageKey } from '../../src/storage/fileStorageKey';

/** 9,900 artifacts × 5 versions × 2 files, plus one artifact with a 1,000-file version: 100,000 file rows. */
export const ARTIFACTS = 9_900;
export const VERSIONS = 5;
export const FILES = 2;
export const BIG_FILES = 1_000;
/** A year of half-hourly scheduled runs, and a daily export for five years: the other two lists. */
export const RUNS = 17_520;
export const EXPORTS = 1_825;

const chunked = <T>(items: T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/**
 * Fills the plugin's tables (migrated by a backend) directly with knex:
 * selected versions whose files are mostly collected, as after a mirror run.
 */
export async function seed(db: Knex): Promise<number> {
  const now = new Date().toISOString();
  const artifactRows = Array.from({ length: ARTIFACTS + 1 }, (_, i) => ({
    processor: 'bench',
    id: i === ARTIFACTS ? 'load-big' : `load-${String(i).padStart(5, '0')}`,
    config: '{"set":"load"}',
    is_root: i % 10 === 0,
    dependency_policy: 'latest',
    status: 'ok',
    created_at: now,
    updated_at: now,
  }));
  const artifactRefs: Array<{ ref: number; id: string }> = [];
  for (const part of chunked(artifactRows, 2000)) {
    artifactRefs.push(...(await db('artifacts').insert(part).returning(['ref', 'id'])));
  }
  const versionRows = artifactRefs.flatMap(a =>
    Array.from({ length: a.id === 'load-big' ? 1 : VERSIONS }, (_, v) => ({
      artifact_ref: a.ref,
      version: `1.0.${v}`,
      status: 'selected',
      selection: '[{"type":"all-versions"}]',
      discovered_at: now,
    })),
  );
  const versionRefs: Array<{ ref: number; artifact_ref: number; version: string }> = [];
  for (const part of chunked(versionRows, 5000)) {
    versionRefs.push(
      ...(await db('artifact_versions').insert(part).returning(['ref', 'artifact_ref', 'version'])),
    );
  }
  const idByRef = new Map(artifactRefs.map(a => [a.ref, a.id]));
  let files = 0;
  const fileRows = versionRefs.flatMap(v => {
    const id = idByRef.get(v.artifact_ref)!;
    return Array.from({ length: id === 'load-big' ? BIG_FILES : FILES }, (_, f) => {
      const name = `${id}-${v.version}-${String(f).padStart(4, '0')}.tgz`;
      const collected = files++ % 10 !== 0;
      return {
        version_ref: v.ref,
        name,
        uri: `http://127.0.0.1:1/load/${name}`,
        folder: `${id}/${name}`,
        // The current key layout: older keys would set the storage key
        // migration rewriting every row while the API is measured.
        storage_key: fileStorageKey({ processor: 'bench', artifactId: id, version: v.version, name }),
        integrity_algorithm: 'sha256',
        integrity_digest: createHash('sha256').update(name).digest('hex'),
        size: 10_000 + f,
        status: collected ? 'collected' : 'pending',
        collected,
        collected_at: collected ? now : null,
        attempts: collected ? 1 : 0,
      };
    });
  });
  for (const part of chunked(fileRows, 2000)) {
    await db('artifact_files').insert(part);
  }
  await seedRunsAndExports(db);
  const [{ count }] = await db('artifact_files').count({ count: '*' });
  return Number(count);
}


/** Finished runs and succeeded exports, one every half hour and one a day back from now. */
async function seedRunsAndExports(db: Knex): Promise<void> {
  const start = Date.now();
  const at = (msAgo: number) => new Date(start - msAgo).toISOString();
  const runRows = Array.from({ length: RUNS }, (_, i) => ({
    id: randomUUID(),
    trigger: i % 50 === 0 ? 'artifact' : 'schedule',
    scope_processor: i % 50 === 0 ? 'bench' : null,
    scope_id: i % 50 === 0 ? `load-${String(i % ARTIFACTS).padStart(5, '0')}` : null,
    status: i % 20 === 0 ? 'failed' : 'succeeded',
    created_at: at(i * 1_800_000),
    started_at: at(i * 1_800_000 - 1000),
    finished_at: at(i * 1_800_000 - 60_000),
    artifacts: ARTIFACTS,
    versions_selected: ARTIFACTS * VERSIONS,
    files_queued: 10,
    files_collected: 10,
  }));
  for (const part of chunked(runRows, 1000)) await db('mirror_runs').insert(part);
  const exportRows = Array.from({ length: EXPORTS }, (_, i) => ({
    id: randomUUID(),
    status: 'succeeded',
    kind: i % 7 === 0 ? 'full' : 'delta',
    created_at: at(i * 86_400_000),
    started_at: at(i * 86_400_000 - 1000),
    finished_at: at(i * 86_400_000 - 60_000),
    manifest_key: `exports/${i}/manifest.json`,
    seal: createHash('sha256').update(String(i)).digest('hex'),
    parts: '[]',
    parts_count: 1,
    files_count: 100,
    total_bytes: 1_000_000,
  }));
  for (const part of chunked(exportRows, 1000)) await db('exports').insert(part);
}
