import { databaseServiceFactory } from '@backstage/backend-defaults/database';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import { z } from 'zod';
import { semverScheme } from './processors/npm/semverScheme';
import { BackpackProcessor } from './processors/types';
import { startBackpackBackend } from './__testUtils__/backpackBackend';
import { pollUntil } from './__testUtils__/waitFor';

jest.setTimeout(60_000);

// The embedded default of app-config.yaml (`npm start`) keeps its state in a
// SQLite file next to the blob directory, so a restart loses nothing.

const appConfig = parse(
  fs.readFileSync(path.resolve(__dirname, '../app-config.yaml'), 'utf8'),
);

/** A processor with one version and no files: runs need no network. */
const localProcessor: BackpackProcessor = {
  name: 'local',
  description: 'One version, no files',
  configSchema: z.strictObject({}),
  versions: semverScheme,
  async discover() {
    return {
      notModified: false,
      versions: [{ version: '1.0.0', files: [], dependencies: [] }],
    };
  },
};

describe('the embedded default database', () => {
  let work: string;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'backpack-embedded-'));
  });

  afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('is a SQLite file in app-config.yaml, not memory', () => {
    const database = appConfig.backend.database;
    expect(database.client).toBe('better-sqlite3');
    expect(database.connection).not.toBe(':memory:');
    expect(database.connection.directory).toEqual(expect.any(String));
    // Next to the blob directory, both relative to the working directory.
    expect(path.dirname(database.connection.directory)).toBe(
      path.dirname(appConfig.backpack.storage.local.directory),
    );
  });

  it('keeps artifacts and runs across a restart of the backend', async () => {
    // app-config.yaml's database section, with its directory in a
    // temporary place; the real database service, not a mock.
    const config = {
      backend: {
        database: {
          ...appConfig.backend.database,
          connection: { directory: path.join(work, 'backpack-data') },
        },
      },
      backpack: { storage: { local: { directory: path.join(work, 'backpack-storage') } } },
    };
    const start = () =>
      startBackpackBackend({
        config: { backend: config.backend },
        storageDir: config.backpack.storage.local.directory,
        manualScheduler: true,
        processors: [localProcessor],
        features: [databaseServiceFactory],
      });

    const first = await start();
    const created = await request(first.server)
      .post('/api/backpack/artifacts')
      .send({ processor: 'local', id: 'kept', filter: '1.0.0' });
    expect(created.status).toBe(201);
    const run = await pollUntil(
      'the run to succeed',
      async () => (await request(first.server).get(`/api/backpack/runs/${created.body.runId}`)).body,
      body => body.status === 'succeeded',
      { attempts: 400, intervalMs: 25 },
    );
    expect(run).toMatchObject({ status: 'succeeded' });
    await first.stop();
    expect(fs.existsSync(path.join(work, 'backpack-data', 'backpack.sqlite'))).toBe(true);

    const second = await start();
    try {
      const artifact = await request(second.server).get('/api/backpack/artifacts/local/kept');
      expect(artifact.status).toBe(200);
      expect(artifact.body).toMatchObject({
        processor: 'local',
        id: 'kept',
        filter: '1.0.0',
        root: true,
        counts: { versions: 1, selectedVersions: 1 },
      });
      const runs = await request(second.server).get('/api/backpack/runs');
      expect(runs.body.items).toEqual([
        expect.objectContaining({ id: created.body.runId, status: 'succeeded' }),
      ]);
    } finally {
      await second.stop();
    }
  });
});
