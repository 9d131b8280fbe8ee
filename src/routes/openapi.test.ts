import { mockServices } from '@backstage/backend-test-utils';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { parse } from 'yaml';
import { createBackpackStores } from '../database/createBackpackStores';
import { createServeViews } from '../views/ServeViews';
import { ConfigReader } from '@backstage/config';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';
import { ArtifactService } from '../artifacts/ArtifactService';
import { CollectionService } from '../collection/CollectionService';
import { ExportService } from '../exports/ExportService';
import { InProcessJobQueue } from '../collection/queue/InProcessJobQueue';
import { LocalDirectoryBlobStore } from '../storage/LocalDirectoryBlobStore';
import { MirrorRunService } from '../runs/RunService';
import { createRouter } from './createRouter';

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

const spec = parse(
  fs.readFileSync(path.resolve(__dirname, '../schema/openapi.yaml'), 'utf8'),
);

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: unknown[] };
}

/** `METHOD /path` of every route of an express router, in OpenAPI's path syntax. */
function routesOf(router: { stack: Layer[] }): string[] {
  const routes: string[] = [];
  for (const layer of router.stack) {
    if (layer.route) {
      // `:name(pattern)` constrains a parameter (`@scope`, a path of
      // several segments); the spec names the parameter only.
      const openApiPath = layer.route.path.replace(/:(\w+)(\([^)]*\))?/g, '{$1}');
      for (const [method, enabled] of Object.entries(layer.route.methods)) {
        if (enabled && method !== '_all') {
          routes.push(`${method.toUpperCase()} ${openApiPath}`);
        }
      }
    } else if (layer.handle?.stack) {
      // A mounted sub-router hides its prefix from this walk; routes are
      // added to the one router so that this test sees every one of them.
      throw new Error('Nested routers are not supported by this test');
    }
  }
  return routes.sort();
}

function routesOfSpec(): string[] {
  const routes: string[] = [];
  for (const [specPath, item] of Object.entries<Record<string, unknown>>(spec.paths)) {
    for (const method of Object.keys(item)) {
      if (HTTP_METHODS.includes(method)) {
        routes.push(`${method.toUpperCase()} ${specPath}`);
      }
    }
  }
  return routes.sort();
}

/** Every `$ref` in the document, as JSON pointers. */
function refsOf(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach(child => refsOf(child, out));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push(value);
      else refsOf(value, out);
    }
  }
  return out;
}

describe('openapi.yaml', () => {
  let db: Knex;
  let routes: string[];

  beforeAll(async () => {
    db = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    const processors = new ProcessorRegistry();
    // The router is only inspected here; no handler runs.
    const runs: MirrorRunService = {
      startRun: () => Promise.reject(new Error('not called')),
      getRun: () => Promise.reject(new Error('not called')),
      listRuns: () => Promise.reject(new Error('not called')),
    };
    // Never migrated nor read: no handler runs.
    const stores = await createBackpackStores({ database: { getClient: async () => db }, skipMigrations: true });
    const queue = new InProcessJobQueue();
    // Never written to: no handler runs.
    const blobStore = new LocalDirectoryBlobStore({
      directory: path.join(os.tmpdir(), 'backpack-openapi-unused'),
    });
    const router = await createRouter({
      logger: mockServices.logger.mock(),
      httpAuth: mockServices.httpAuth(),
      permissions: mockServices.permissions(),
      auditor: mockServices.auditor.mock(),
      artifacts: new ArtifactService({ stores, processors }),
      runs,
      collection: new CollectionService({
        stores,
        collector: { enqueuePending: () => Promise.reject(new Error('not called')) },
        queue,
        blobStore,
        logger: mockServices.logger.mock(),
        requeueAfterMs: 0,
      }),
      exports: new ExportService({
        stores,
        blobStore,
        logger: mockServices.logger.mock(),
        workerId: 'openapi-test',
        processorNames: () => [],
        partSizeBytes: 1024,
        npmTarballBaseUrl: 'https://registry.npmjs.org/',
      }),
      processors,
      serve: createServeViews({
        config: new ConfigReader({}),
        stores,
        blobStore: new LocalDirectoryBlobStore({
          directory: path.join(os.tmpdir(), 'backpack-openapi-unused'),
        }),
        discovery: mockServices.discovery(),
        logger: mockServices.logger.mock(),
      }),
    });
    routes = routesOf(router as unknown as { stack: Layer[] });
  });

  afterAll(async () => {
    await db.destroy();
  });

  it('describes every route of the router', () => {
    expect(routes.length).toBeGreaterThan(0);
    expect(routes.filter(route => !routesOfSpec().includes(route))).toEqual([]);
  });

  it('names no route the router does not have', () => {
    expect(routesOfSpec().filter(route => !routes.includes(route))).toEqual([]);
  });

  it('resolves every $ref', () => {
    const unresolved = refsOf(spec).filter(ref => {
      let node: unknown = spec;
      for (const part of ref.replace(/^#\//, '').split('/')) {
        node = (node as Record<string, unknown> | undefined)?.[part];
      }
      return node === undefined;
    });
    expect(unresolved).toEqual([]);
  });

  it('declares every path parameter of each path', () => {
    const missing: string[] = [];
    for (const [specPath, item] of Object.entries<any>(spec.paths)) {
      const names = [...specPath.matchAll(/\{(\w+)\}/g)].map(m => m[1]);
      for (const method of Object.keys(item).filter(m => HTTP_METHODS.includes(m))) {
        const declared = [...(item.parameters ?? []), ...(item[method].parameters ?? [])]
          .map((p: any) => (p.$ref ? refTarget(p.$ref) : p))
          .filter((p: any) => p.in === 'path')
          .map((p: any) => p.name);
        for (const name of names) {
          if (!declared.includes(name)) missing.push(`${method} ${specPath}: ${name}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});

function refTarget(ref: string): any {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((node: any, part) => node?.[part], spec);
}
