// Runs s3rver in its own process, so that its work shows as its own CPU time
// and never competes with the harness's event loop. Started by
// lib/childProcess.ts; prints nothing, answers `{ port }` over IPC.
//
//   node --require @backstage/cli/config/nodeTransform.cjs bench/servers/s3Server.ts <directory> <bucket>

/** The parts of s3rver's API used here; the package ships no types. */
interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver: new (options: object) => S3rverInstance = require('s3rver');

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory,
  silent: true,
  configureBuckets: [{ name: bucket }],
});

server
  .run()
  .then(({ port }) => process.send!({ port }))
  .catch(error => {
    process.send!({ error: String(error?.stack ?? error) });
    process.exit(1);
  });

process.on('disconnect', () => {
  server.close().finally(() => process.exit(0));
});
