import { CreateMultipartUploadCommand, S3Client } from '@aws-sdk/client-s3';
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startS3rver } from '../__testUtils__/s3rver';
import { localHost } from '../lib/workerIdentity';
import { LocalDirectoryBlobStore } from './LocalDirectoryBlobStore';
import { S3BlobStore } from './S3BlobStore';
import { waitFor as waitForAttempts } from '../__testUtils__/waitFor';

jest.setTimeout(60_000);

// Crash recovery of the blob stores: what writers that died left behind is
// removed at startup, and nothing a live writer is still writing.

/** Waits until `check` holds; bounded by attempts. */
const waitFor = (what: string, check: () => boolean | Promise<boolean>) =>
  waitForAttempts(what, check, { attempts: 500, intervalMs: 20 });

/** The pid of a process that ran on this host and has exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['-e', ''], error =>
      error ? reject(error) : resolve(child.pid!),
    );
  });
}

describe('LocalDirectoryBlobStore.recover', () => {
  let directory: string;
  const temp = () => join(directory, '.backpack-tmp');

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'backpack-recover-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("removes the partial body of a writer killed with SIGKILL, and keeps a live writer's", async () => {
    // A real writer in another process, killed mid-put.
    const script = `
      const { PassThrough } = require('node:stream');
      const { LocalDirectoryBlobStore } = require(${JSON.stringify(require.resolve('./LocalDirectoryBlobStore'))});
      const body = new PassThrough();
      new LocalDirectoryBlobStore({ directory: ${JSON.stringify(directory)} })
        .put('npm/crashed/crashed-1.0.0.tgz', body)
        .catch(() => {});
      body.write(Buffer.alloc(64 * 1024, 1));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(
      process.execPath,
      ['--require', require.resolve('@backstage/cli/config/nodeTransform.cjs'), '-e', script],
      { stdio: 'ignore' },
    );
    const exited = new Promise(resolve => child.once('exit', resolve));
    await waitFor('the child to write', async () => {
      const names = await readdir(temp()).catch(() => []);
      const body = names.find(n => n.includes(`~${child.pid}~`) && !n.endsWith('.meta'));
      return body !== undefined && (await stat(join(temp(), body))).size > 0;
    });
    child.kill('SIGKILL');
    await exited;

    // This process writes meanwhile, through another store on the same directory.
    const live = new PassThrough();
    const store = new LocalDirectoryBlobStore({ directory });
    const put = store.put('npm/live/live-1.0.0.tgz', live);
    live.write(Buffer.alloc(1024, 2));
    await waitFor('the live write', async () =>
      (await readdir(temp())).some(n => n.includes(`~${process.pid}~`)),
    );

    expect(await store.recover()).toEqual({ removed: 1 });
    const left = await readdir(temp());
    expect(left).toEqual([expect.stringContaining(`~${process.pid}~`)]);

    // The live write completes as if nothing happened.
    live.end(Buffer.alloc(1024, 3));
    await put;
    expect((await store.head('npm/live/live-1.0.0.tgz'))?.size).toBe(2048);
    expect(await readdir(temp())).toEqual([]);
  });

  it('removes what dead owners on this host left and anything stale, and keeps recent files of others', async () => {
    const host = encodeURIComponent(localHost());
    const hoursAgo = (h: number) => new Date(Date.now() - h * 60 * 60_000);
    const files: Record<string, Date | undefined> = {
      [`${host}~${await deadPid()}~${randomUUID()}`]: undefined,
      [`${host}~${await deadPid()}~${randomUUID()}.meta`]: undefined,
      [`${host}~${process.pid}~${randomUUID()}`]: undefined,
      [`other-host~1~${randomUUID()}`]: undefined,
      [`other-host~1~${randomUUID()}`]: hoursAgo(2),
      // Named before writers were recorded: only age tells.
      [randomUUID()]: hoursAgo(2),
      [randomUUID()]: undefined,
    };
    const names = Object.keys(files);
    await mkdir(temp(), { recursive: true });
    for (const [name, time] of Object.entries(files)) {
      await writeFile(join(temp(), name), 'partial');
      if (time) await utimes(join(temp(), name), time, time);
    }

    const store = new LocalDirectoryBlobStore({ directory, staleTempFileMs: 60 * 60_000 });
    expect(await store.recover()).toEqual({ removed: 4 });
    expect((await readdir(temp())).sort()).toEqual([names[2], names[3], names[6]].sort());
  });

  it('has nothing to do when nothing was ever written', async () => {
    expect(await new LocalDirectoryBlobStore({ directory }).recover()).toEqual({ removed: 0 });
  });
});

/** A minimal S3 endpoint that lists multipart uploads and records aborts. */
async function startUploadsServer(
  uploads: Array<{ key: string; id: string; initiated: Date }>,
) {
  const listed: string[] = [];
  const aborted: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://s3.test');
    if (req.method === 'GET' && url.searchParams.has('uploads')) {
      const prefix = url.searchParams.get('prefix') ?? '';
      listed.push(prefix);
      // Two pages, to follow the markers.
      const matching = uploads.filter(u => u.key.startsWith(prefix));
      const marker = url.searchParams.get('key-marker');
      const start = marker ? matching.findIndex(u => u.key === marker) + 1 : 0;
      const page = matching.slice(start, start + 2);
      const truncated = start + 2 < matching.length;
      const last = page[page.length - 1];
      res.setHeader('content-type', 'application/xml');
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>bucket</Bucket><Prefix>${prefix}</Prefix><MaxUploads>2</MaxUploads>
  <IsTruncated>${truncated}</IsTruncated>
  ${truncated ? `<NextKeyMarker>${last.key}</NextKeyMarker><NextUploadIdMarker>${last.id}</NextUploadIdMarker>` : ''}
  ${page
    .map(
      u =>
        `<Upload><Key>${u.key}</Key><UploadId>${u.id}</UploadId><Initiated>${u.initiated.toISOString()}</Initiated></Upload>`,
    )
    .join('')}
</ListMultipartUploadsResult>`,
      );
      return;
    }
    if (req.method === 'DELETE' && url.searchParams.has('uploadId')) {
      aborted.push(`${decodeURIComponent(url.pathname)}#${url.searchParams.get('uploadId')}`);
      res.statusCode = 204;
      res.end();
      return;
    }
    res.statusCode = 400;
    res.end();
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    listed,
    aborted,
    close: () => new Promise(resolve => server.close(resolve)),
  };
}

describe('S3BlobStore.recover', () => {
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

  it('aborts the stale multipart uploads under its prefix, page by page, and leaves fresh ones', async () => {
    const old = new Date(Date.now() - 48 * 60 * 60_000);
    const server = await startUploadsServer([
      { key: 'mirror/npm/a.tgz', id: 'u1', initiated: old },
      { key: 'mirror/npm/b.tgz', id: 'u2', initiated: new Date() },
      { key: 'mirror/pypi/c.whl', id: 'u3', initiated: old },
      { key: 'other/npm/d.tgz', id: 'u4', initiated: old },
    ]);
    const store = new S3BlobStore({
      bucket: 'bucket',
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials,
      prefix: 'mirror',
    });
    try {
      expect(await store.recover()).toEqual({ removed: 2 });
      expect(server.listed).toEqual(['mirror/', 'mirror/']);
      expect(server.aborted.sort()).toEqual([
        '/bucket/mirror/npm/a.tgz#u1',
        '/bucket/mirror/pypi/c.whl#u3',
      ]);
    } finally {
      store.destroy();
      await server.close();
    }
  });

  it('reports a server that cannot list uploads as skipped (s3rver), not as an error', async () => {
    const server = await startS3rver({ buckets: ['bucket'] });
    const store = new S3BlobStore({
      bucket: 'bucket',
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: server.credentials,
      staleUploadMs: 0,
    });
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: server.credentials,
    });
    try {
      // An upload a crashed writer left, which s3rver cannot list.
      await client.send(new CreateMultipartUploadCommand({ Bucket: 'bucket', Key: 'npm/x.tgz' }));
      expect(await store.recover()).toEqual({
        removed: 0,
        skipped: expect.stringMatching(/cannot list multipart uploads/),
      });
    } finally {
      client.destroy();
      store.destroy();
      await server.close();
    }
  });
});
