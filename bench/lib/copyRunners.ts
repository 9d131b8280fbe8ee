import fs from 'node:fs';
import path from 'node:path';
import { BenchFile } from '../benchManifest';
import { BackpackApi, RunTiming, runPhases } from './BackpackApi';
import { BenchEnvironment, S3_BUCKET, S3_CREDENTIALS } from './BenchEnvironment';
import { cleanEnv, hasCommand, runCommand, shellQuote } from './commands';
import { CpuMeter, CpuReport, CpuSubject } from './CpuMeter';
import { Deployment } from './Deployment';
import { setBytes } from './dataSets';
import { DbActivity, PgActivitySampler } from './PgActivitySampler';
import { pgCounters, PgCounters, pgDelta, settleStats } from './pgStats';

/** One timed copy of a set of files into the s3rver. */
export interface CopyRun {
  seconds: number;
  bytes: number;
  files: number;
  cpu: CpuReport;
  /** Backpack only: the walk's share of the time. */
  walkSeconds?: number;
  /** Backpack only, when asked for: what the database sessions were doing. */
  dbActivity?: DbActivity;
  /** Backpack only, with `dbActivity`: the database's counters over the copy. */
  pg?: PgCounters;
}

/** Checks that exactly the set's files landed below a prefix, with their sizes. */
export async function verifyCopy(
  env: BenchEnvironment,
  prefix: string,
  files: BenchFile[],
): Promise<void> {
  const objects = await env.bucket.list(prefix);
  const bytes = objects.reduce((sum, o) => sum + o.size, 0);
  if (objects.length !== files.length || bytes !== setBytes(files)) {
    throw new Error(
      `Expected ${files.length} objects (${setBytes(files)} bytes) below ${prefix}, found ${objects.length} (${bytes} bytes)`,
    );
  }
}

/**
 * Collects a set with Backpack: `POST /artifacts` with the bench processor
 * (one version holding every file of the set), timed until every file is
 * collected; then checks the objects in the bucket.
 */
export async function collectWithBackpack(options: {
  env: BenchEnvironment;
  deployment: Deployment;
  api: BackpackApi;
  set: string;
  files: BenchFile[];
  /** Artifact id; new per repetition so that every copy goes to fresh keys. */
  id: string;
  cpuSubjects: CpuSubject[];
  /** Delete the copied objects afterwards (large sets). */
  cleanup?: boolean;
  /** Sample pg_stat_activity meanwhile. */
  sampleDb?: boolean;
}): Promise<CopyRun> {
  const { env, deployment, api, set, files, id } = options;
  const meter = new CpuMeter(options.cpuSubjects);
  const sampler = options.sampleDb ? new PgActivitySampler(deployment.databaseName) : undefined;
  const pgBefore = options.sampleDb ? await pgCounters(deployment.databaseName) : undefined;
  sampler?.start();
  await meter.begin();
  const t0 = Date.now();
  const created = await api.createArtifact({ processor: 'bench', id, config: { set } });
  let timing: RunTiming;
  let dbActivity: DbActivity | undefined;
  try {
    timing = await api.waitForRun(created.runId, t0);
  } finally {
    dbActivity = await sampler?.stop();
  }
  const cpu = await meter.end();
  let pg: PgCounters | undefined;
  if (pgBefore) {
    await settleStats();
    pg = pgDelta(pgBefore, await pgCounters(deployment.databaseName));
  }
  const phases = runPhases(timing);
  // Collected files live under `files/<processor>/<id>/` (see src/storage/fileStorageKey.ts).
  const prefix = `${deployment.id}/files/bench/${id}/`;
  await verifyCopy(env, prefix, files);
  if (options.cleanup) await env.bucket.deletePrefix(prefix);
  return {
    seconds: phases.total,
    walkSeconds: phases.walk,
    bytes: setBytes(files),
    files: files.length,
    cpu,
    dbActivity,
    pg,
  };
}

/** rclone's config: the upstream file server as an http remote, the s3rver as an s3 remote. */
export function writeRcloneConfig(env: BenchEnvironment): string {
  const file = path.join(env.dir, 'rclone.conf');
  fs.writeFileSync(
    file,
    [
      '[upstream]',
      'type = http',
      `url = ${env.files.baseUrl}/`,
      '',
      '[s3]',
      'type = s3',
      'provider = Other',
      `endpoint = ${env.s3.endpoint}`,
      `access_key_id = ${S3_CREDENTIALS.accessKeyId}`,
      `secret_access_key = ${S3_CREDENTIALS.secretAccessKey}`,
      'region = us-east-1',
      'force_path_style = true',
      '',
    ].join('\n'),
  );
  return file;
}

/** The rclone command line, with placeholders where paths and ports vary. */
export function rcloneArgs(config: string, set: string, dest: string, transfers: number): string[] {
  return [
    '--config',
    config,
    'copy',
    `upstream:${set}/`,
    `s3:${S3_BUCKET}/${dest}`,
    '--transfers',
    String(transfers),
    '--checkers',
    String(transfers),
  ];
}

/** How to install the baseline tool when it is missing. */
export const RCLONE_MISSING =
  'rclone is not installed, so its figures are missing. Install it with `apt-get update && apt-get install -y rclone` (Debian) and run the benchmark again.';

export function rcloneAvailable(): Promise<boolean> {
  return hasCommand('rclone');
}

/** rclone's config and command line as shown in RESULTS.md. */
export function describeRclone(set: string, transfers: number): string {
  return [
    '```sh',
    `rclone ${shellQuote(rcloneArgs('rclone.conf', set, `rclone-<run>/${set}`, transfers))}`,
    '```',
    '',
    'with `rclone.conf`:',
    '',
    '```ini',
    '[upstream]',
    'type = http',
    'url = http://127.0.0.1:<file server port>/',
    '',
    '[s3]',
    'type = s3',
    'provider = Other',
    'endpoint = http://127.0.0.1:<s3rver port>',
    'access_key_id = S3RVER',
    'secret_access_key = S3RVER',
    'region = us-east-1',
    'force_path_style = true',
    '```',
    '',
    '`AWS_CA_BUNDLE` is removed from rclone\'s environment: rclone 1.60 refuses to start with it set ("unable to load custom CA bundle, HTTPClient\'s transport unsupported type"), and nothing here uses TLS.',
  ].join('\n');
}

/** Copies a set with rclone into `rclone-<tag>/<set>`; then checks the objects. */
export async function copyWithRclone(options: {
  env: BenchEnvironment;
  config: string;
  set: string;
  files: BenchFile[];
  tag: string;
  transfers: number;
  cpuSubjects: CpuSubject[];
  cleanup?: boolean;
}): Promise<CopyRun> {
  const { env, set, files, tag } = options;
  const dest = `rclone-${tag}/${set}`;
  const meter = new CpuMeter(options.cpuSubjects);
  await meter.begin();
  const result = await runCommand(
    'rclone',
    rcloneArgs(options.config, set, dest, options.transfers),
    { env: cleanEnv({ AWS_CA_BUNDLE: undefined }) },
  );
  const cpu = await meter.end();
  cpu.bySubject.push({
    name: 'rclone',
    cpuSeconds: result.cpuSeconds,
    cores: result.cpuSeconds / result.seconds,
  });
  await verifyCopy(env, `${dest}/`, files);
  if (options.cleanup) await env.bucket.deletePrefix(`${dest}/`);
  return { seconds: result.seconds, bytes: setBytes(files), files: files.length, cpu };
}
