import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The parts of s3rver's API the tests use; the package ships no types. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets?: Array<{ name: string }>;
}) => S3rverInstance;

/** A running s3rver: a real S3-protocol server on loopback. */
export interface TestS3Server {
  endpoint: string;
  /** s3rver's fixed test credentials. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Stops the server and removes its data directory. */
  close(): Promise<void>;
}

/** Starts s3rver on a free port with a fresh temporary directory. */
export async function startS3rver(
  options: { buckets?: string[] } = {},
): Promise<TestS3Server> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver: S3rverConstructor = require('s3rver');
  const directory = await mkdtemp(join(tmpdir(), 'backpack-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: options.buckets?.map(name => ({ name })),
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Counts PUT requests per object path in front of an S3 endpoint. */
export class CountingProxy {
  readonly puts = new Map<string, number>();
  private readonly server: http.Server;
  url = '';

  constructor(target: string) {
    const { hostname, port } = new URL(target);
    this.server = http.createServer((req, res) => {
      if (req.method === 'PUT') {
        const key = decodeURIComponent(new URL(req.url ?? '/', target).pathname);
        this.puts.set(key, (this.puts.get(key) ?? 0) + 1);
      }
      const upstream = http.request(
        { hostname, port, method: req.method, path: req.url, headers: req.headers },
        answer => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
  }

  async start() {
    await new Promise<void>(resolve =>
      this.server.listen(0, '127.0.0.1', resolve),
    );
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close() {
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }
}
