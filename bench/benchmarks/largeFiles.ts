import { Benchmark } from '../Benchmark';
import { generatedSet, smallFilesSet } from '../lib/dataSets';
import { MiB } from '../lib/stats';
import { measureThroughput } from './collectionThroughput';

/** 4. Collection throughput, large files: 4 × 256 MiB of random bytes. */
export const largeFilesBenchmark: Benchmark = {
  name: 'large-files',
  title: 'Collection throughput, large files',
  async run(ctx) {
    ctx.log('large-files: generating 4 × 256 MiB');
    const files = generatedSet(ctx.env, 'large', 4, 256 * MiB);
    return measureThroughput(ctx, {
      label: 'large-files',
      set: 'large',
      files,
      cleanup: true,
      // Warming up on the small set is enough to get the code paths compiled.
      warmUp: { set: 'small', files: await smallFilesSet(ctx.env) },
      description:
        '4 generated files of 256 MiB (random bytes, sha256 known), served by the plain upstream HTTP server, copied into the s3rver through the RabbitMQ driver. Each copy is deleted from the bucket after it is checked.',
    });
  },
};
