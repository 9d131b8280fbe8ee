import request from 'supertest';
import { TestServer } from '../__testUtils__/backpackBackend';
import { readNpmClosure, startNpmCorpusVerdaccio } from '../__testUtils__/npmCorpus';
import { TestNpmRegistry } from '../__testUtils__/verdaccio';
import {
  expectNpmClosureInS3,
  RabbitS3Backend,
  startRabbitS3Backend,
} from './__testUtils__/rabbitS3Backend';

// The real express closure collected through RabbitMQ into S3, from the
// frozen npm corpus (npm run test:corpus); collection.rabbitmq.e2e.test.ts
// does the same with a generated package set.

describe('collection of the npm corpus with RabbitMQ and S3', () => {
  let verdaccio: TestNpmRegistry;
  let rabbitS3: RabbitS3Backend;
  let server: TestServer;

  beforeAll(async () => {
    verdaccio = await startNpmCorpusVerdaccio();
    rabbitS3 = await startRabbitS3Backend({
      queue: { maxAttempts: 3, retryDelaysMs: [50, 100], concurrency: 8 },
      backpack: { processors: { npm: { registry: verdaccio.url } } },
    });
    server = rabbitS3.backend.server;
  });

  afterAll(async () => {
    await rabbitS3?.stop();
    await verdaccio?.stop();
  });

  it('mirrors the express closure into S3 with every object matching its packument integrity', async () => {
    const closure = await readNpmClosure('express');
    expect(closure).toHaveLength(72);
    await expectNpmClosureInS3(rabbitS3, verdaccio.url, { id: 'express', filter: '4.21.2' }, closure);
  });

  it('reports the closure in the counts', async () => {
    const res = await request(server).get('/api/backpack/stats');
    expect(res.body.byProcessor).toEqual([
      { processor: 'npm', status: 'collected', files: 72, bytes: expect.any(Number) },
    ]);
  });
});
