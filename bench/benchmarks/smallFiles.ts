import { Benchmark } from '../Benchmark';
import { smallFilesSet } from '../lib/dataSets';
import { measureThroughput } from './collectionThroughput';

/** 3. Collection throughput, many small files: the 356 corpus tarballs. */
export const smallFilesBenchmark: Benchmark = {
  name: 'small-files',
  title: 'Collection throughput, many small files',
  async run(ctx) {
    const files = await smallFilesSet(ctx.env);
    return measureThroughput(ctx, {
      label: 'small-files',
      set: 'small',
      files,
      cleanup: false,
      description:
        'The 356 tarballs of the npm corpus, served by the plain upstream HTTP server, copied into the s3rver through the RabbitMQ driver.',
    });
  },
};
