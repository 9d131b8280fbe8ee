import { JsonObject } from '@backstage/types';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { z } from 'zod';
import { BackpackProcessor } from '../processors/types';
import { MirrorRun } from '../types';
import { createArtifact, waitForRun } from './api';
import { BackpackBackend, startBackpackBackend, TestServer } from './backpackBackend';
import { AuditRecord, collectingAuditor } from './collectingAuditor';
import { InMemoryPackages, inMemoryProcessor } from './inMemoryProcessor';

// The `test` processor of the plugin's end-to-end suites: an in-memory
// upstream whose files a local HTTP server serves.

/** The "upstream" of the test processor: package -> version -> dependencies. */
const UPSTREAM: InMemoryPackages = {
  app: {
    '1.0.0': { lib: '^1.0.0' },
    '2.0.0': { lib: '^2.0.0' },
  },
  lib: { '1.0.0': {}, '1.1.0': {}, '2.0.0': {} },
  shared: { '1.0.0': {} },
  'uses-shared': { '1.0.0': { shared: '^1.0.0' } },
  '@scope/pkg': { '1.0.0': {}, '1.1.0': {} },
};

const fileContent = (id: string, version: string) => `${id}@${version}\n`;

/**
 * A processor over the in-memory upstream above, whose files a local HTTP
 * server serves. Ids are case-insensitive, to show normalisation.
 */
function createTestProcessor(fileServer: string): BackpackProcessor {
  return inMemoryProcessor({
    name: 'test',
    description: 'In-memory packages for the plugin tests',
    configSchema: z.strictObject({
      registry: z.url().optional(),
      includeDev: z.boolean().optional(),
    }),
    packages: UPSTREAM,
    file: (id, version) => ({
      name: `${id.replace('/', '-')}-${version}.tgz`,
      uri: `${fileServer}/files/${encodeURIComponent(id)}/${version}`,
      content: fileContent(id, version),
      size: Buffer.byteLength(fileContent(id, version)),
    }),
  });
}

/**
 * Starts the plugin with the `test` processor and the file server of its
 * files, plus the given features (a permission policy, an auditor) and
 * `backpack` config.
 */
export async function startTestProcessorBackend(
  features: any[] = [],
  backpack: JsonObject = {},
): Promise<BackpackBackend> {
  const fileServer = http.createServer((req, res) => {
    const match = /^\/files\/([^/]+)\/([^/]+)$/.exec(req.url ?? '');
    if (!match) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.end(fileContent(decodeURIComponent(match[1]), match[2]));
  });
  await new Promise<void>(resolve => fileServer.listen(0, '127.0.0.1', resolve));
  const fileServerUrl = `http://127.0.0.1:${(fileServer.address() as AddressInfo).port}`;
  const backend = await startBackpackBackend({
    processors: [createTestProcessor(fileServerUrl)],
    backpack: { allowedHosts: [new URL(fileServerUrl).host], ...backpack },
    features,
  });
  return {
    ...backend,
    async stop() {
      await backend.stop();
      await new Promise(resolve => fileServer.close(resolve));
    },
  };
}

/** The plugin {@link withTestProcessorBackend} runs, and the API calls its suites make. */
export interface TestProcessorBackend {
  readonly server: TestServer;
  /** Every audit event so far. */
  readonly events: AuditRecord[];
  /** Waits until a run settled. */
  waitForRun(runId: string): Promise<MirrorRun>;
  /** POST /artifacts, which must answer 201. */
  createArtifact(body: object): Promise<any>;
}

/**
 * Hooks of the enclosing `describe`: the plugin with the `test` processor,
 * every permission allowed and its audit events collected, started before
 * all and stopped after all.
 */
export function withTestProcessorBackend(): TestProcessorBackend {
  const events: AuditRecord[] = [];
  let backend: BackpackBackend | undefined;
  beforeAll(async () => {
    backend = await startTestProcessorBackend([collectingAuditor(events)]);
  });
  afterAll(async () => {
    await backend?.stop();
  });
  const server = () => {
    if (!backend) throw new Error('the backend is not started (did beforeAll fail?)');
    return backend.server;
  };
  return {
    get server() {
      return server();
    },
    events,
    waitForRun: runId => waitForRun(server(), runId),
    createArtifact: body => createArtifact(server(), body),
  };
}
