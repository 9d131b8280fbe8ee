import fs from 'node:fs';
import path from 'node:path';
import { mapLimited } from '../../src/lib/mapLimited';
import { S3BlobStore } from '../../src/storage/S3BlobStore';
import { BenchFile } from '../benchManifest';
import { BenchEnvironment, S3_BUCKET, S3_CREDENTIALS } from './BenchEnvironment';
import { CopyRun, verifyCopy } from './copyRunners';
import { CpuMeter } from './CpuMeter';
import { setBytes } from './dataSets';

/**
 * The ceiling the s3rver sets for both tools: the set put into it straight
 * from the file server's directory through Backpack's own S3 client
 * (`S3BlobStore`: the same single PutObject or multipart parts, parts in
 * flight and unsigned payload) at the same parallelism, with nothing else
 * running — no upstream request, no digest, no database, no queue. Only
 * this harness and the s3rver work, so the copy is as fast as the s3rver
 * (one Node process) takes the bytes on this machine.
 */
export async function putStraightIntoS3rver(options: {
  env: BenchEnvironment;
  set: string;
  files: BenchFile[];
  parallelism: number;
  tag: string;
}): Promise<CopyRun> {
  const { env, files } = options;
  const prefix = `alone-${options.tag}/${options.set}/`;
  const store = new S3BlobStore({
    bucket: S3_BUCKET,
    endpoint: env.s3.endpoint,
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
    prefix,
  });
  const meter = new CpuMeter([{ name: 's3rver', pids: () => [env.s3.child.pid] }]);
  try {
    await meter.begin();
    const t0 = process.hrtime.bigint();
    await mapLimited(
      files.map((file, index) => ({ file, key: `file-${index}` })),
      options.parallelism,
      ({ file, key }) =>
        store.put(key, fs.createReadStream(path.join(env.files.root, file.path)), { size: file.size }),
    );
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = await meter.end();
    await verifyCopy(env, prefix, files);
    await env.bucket.deletePrefix(prefix);
    return { seconds, bytes: setBytes(files), files: files.length, cpu };
  } finally {
    store.destroy();
  }
}
