import { JsonObject } from '@backstage/types';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { Knex } from 'knex';
import request from 'supertest';
import { z } from 'zod';
import { startBackpackBackend, TestServer } from './backpackBackend';
import { InMemoryPackages, inMemoryProcessor } from './inMemoryProcessor';

/** Packages of the in-memory upstreams: processor → id → version → dependencies. */
const UPSTREAM: Record<string, InMemoryPackages> = {
  test: {
    app: { '1.0.0': { lib: '^1.0.0' } },
    lib: { '1.0.0': {} },
    solo: { '1.0.0': {} },
  },
  other: { elsewhere: { '1.0.0': {} } },
};

const content = (processor: string, id: string, version: string) => `${processor}:${id}@${version}\n`;

const processorOf = (name: string, fileServer: string) =>
  inMemoryProcessor({
    name,
    description: `In-memory ${name} packages`,
    configSchema: z.strictObject({ note: z.string().optional() }),
    packages: UPSTREAM[name],
    file: (id, version) => ({
      uri: `${fileServer}/files/${name}/${id}/${version}`,
      content: content(name, id, version),
    }),
  });

/** The plugin on a given database, with two in-memory processors (`test`, `other`). */
export interface AccessBackend {
  server: TestServer;
  /** The local blob store's directory. */
  storage: string;
  /** POST /artifacts and wait for its run; throws unless both succeed. */
  addRoot(body: JsonObject): Promise<void>;
  /** Polls an API path until `done` holds for its body; bounded by attempts. */
  poll<T = any>(url: string, done: (body: T) => boolean): Promise<T>;
  /** Waits until no file is pending or queued. */
  waitForCollection(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the plugin on `knex` (a TestDatabases database) with the given
 * extra features (a permission policy, an auditor), the in-memory
 * processors, a local file server they download from, and any `backpack`
 * config to merge.
 */
export async function startAccessBackend(options: {
  knex: Knex;
  features?: any[];
  backpack?: JsonObject;
}): Promise<AccessBackend> {
  const files = http.createServer((req, res) => {
    const match = /^\/files\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(req.url ?? '');
    if (!match) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.end(content(match[1], match[2], match[3]));
  });
  await new Promise<void>(resolve => files.listen(0, '127.0.0.1', resolve));
  const fileServer = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;

  const { allowedHosts = [], ...backpack } = options.backpack ?? {};
  const backend = await startBackpackBackend({
    knex: options.knex,
    processors: [processorOf('test', fileServer), processorOf('other', fileServer)],
    features: options.features,
    backpack: {
      allowedHosts: [new URL(fileServer).host, ...(allowedHosts as string[])],
      ...backpack,
    },
  });
  const server = backend.server;

  return {
    server,
    storage: backend.storage,
    poll: backend.poll,
    async addRoot(body) {
      const res = await request(server).post('/api/backpack/artifacts').send(body);
      if (res.status !== 201) throw new Error(`POST /artifacts answered ${res.status}: ${res.text}`);
      const run = await backend.waitForRun(res.body.runId);
      if (run.status === 'failed') throw new Error(`run failed: ${run.error}`);
    },
    async waitForCollection() {
      await backend.waitForCollection();
    },
    async stop() {
      await backend.stop();
      await new Promise(resolve => files.close(resolve));
    },
  };
}
