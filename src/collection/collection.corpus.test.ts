import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import request from 'supertest';
import { filesOf, waitForCollectedRun } from '../__testUtils__/api';
import { TestServer } from '../__testUtils__/backpackBackend';
import { readNpmClosure, startNpmCorpusVerdaccio } from '../__testUtils__/npmCorpus';
import { CountingProxy } from '../__testUtils__/s3rver';
import { TestNpmRegistry } from '../__testUtils__/verdaccio';
import { BUCKET, RabbitS3Backend, startRabbitS3Backend } from './__testUtils__/rabbitS3Backend';

// The real express closure collected through RabbitMQ into S3, from the
// frozen npm corpus (npm run test:corpus); collection.rabbitmq.e2e.test.ts
// does the same with a generated package set.

async function sha512Base64(body: Readable): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of body) hash.update(chunk);
  return hash.digest('base64');
}

describe('collection of the npm corpus with RabbitMQ and S3', () => {
  let verdaccio: TestNpmRegistry;
  let rabbitS3: RabbitS3Backend;
  let proxy: CountingProxy;
  let s3: S3Client;
  let server: TestServer;

  beforeAll(async () => {
    verdaccio = await startNpmCorpusVerdaccio();
    rabbitS3 = await startRabbitS3Backend({
      queue: { maxAttempts: 3, retryDelaysMs: [50, 100], concurrency: 8 },
      backpack: { processors: { npm: { registry: verdaccio.url } } },
    });
    ({ proxy, s3 } = rabbitS3);
    server = rabbitS3.backend.server;
  });

  afterAll(async () => {
    await rabbitS3?.stop();
    await verdaccio?.stop();
  });

  it('mirrors the express closure into S3 with every object matching its packument integrity', async () => {
    const created = await request(server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'npm', id: 'express', filter: '4.21.2' });
    expect(created.status).toBe(201);
    const run = await waitForCollectedRun(server, created.body.runId);

    const closure = (await readNpmClosure('express'))
      .map(line => {
        const at = line.lastIndexOf('@');
        return { name: line.slice(0, at), version: line.slice(at + 1) };
      });
    expect(closure).toHaveLength(72);
    expect(run.status).toBe('succeeded');
    expect(run.counters).toMatchObject({ filesQueued: 72, filesCollected: 72, filesFailed: 0 });

    for (const { name, version } of closure) {
      const [file, ...others] = await filesOf(server, 'npm', name, version);
      expect(others).toEqual([]);
      expect(file).toMatchObject({ status: 'collected', collected: true, attempts: 1 });

      const packument = await (
        await fetch(`${verdaccio.url}/${name.replace('/', '%2f')}`)
      ).json();
      const object = await s3.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: file.storageKey }),
      );
      const digest = await sha512Base64(object.Body as Readable);
      expect(`sha512-${digest}`).toBe(packument.versions[version].dist.integrity);
      expect(object.Metadata?.source).toBe(file.uri);
      // Uploaded once, and only once.
      expect(proxy.puts.get(`/${BUCKET}/${file.storageKey}`)).toBe(1);
    }
  });

  it('reports the closure in the counts', async () => {
    const res = await request(server).get('/api/backpack/stats');
    expect(res.body.byProcessor).toEqual([
      { processor: 'npm', status: 'collected', files: 72, bytes: expect.any(Number) },
    ]);
  });
});
