import { mockErrorHandler, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult, PolicyDecision } from '@backstage/plugin-permission-common';
import express from 'express';
import { z } from 'zod';
import { ArtifactService } from '../../artifacts/ArtifactService';
import { CollectionService } from '../../collection/CollectionService';
import { ExportService } from '../../exports/ExportService';
import { ProcessorRegistry } from '../../processors/ProcessorRegistry';
import { semverScheme } from '../../processors/npm/semverScheme';
import { MirrorRunService } from '../../runs/RunService';
import { Artifact, MirrorRun } from '../../types';
import { ServeViews } from '../../views/ServeViews';
import { AuditRecord, collectingAuditorService } from '../../__testUtils__/collectingAuditor';
import { policyPermissions } from '../../__testUtils__/permissionPolicy';
import { createRouter } from '../createRouter';

// The REST routes alone, as Backstage's own backends test theirs:
// createRouter with fake services, Backstage's mock authentication and
// error handler, and supertest. No database, no backend, no upstream: each
// test says what the services answer and checks what the routes make of
// the request, the credentials, the permissions and the audit.

/** The public methods of a class, each a jest mock. */
type Fake<T> = { [K in keyof T]: T[K] extends (...args: any[]) => any ? jest.MockedFunction<T[K]> : T[K] };

/** The services behind the routes, each method a jest mock with no answer until a test gives one. */
export interface FakeServices {
  artifacts: Fake<ArtifactService>;
  runs: Fake<MirrorRunService>;
  collection: Fake<CollectionService>;
  exports: Fake<ExportService>;
  serve: {
    npm: { packument: jest.Mock; tarball: jest.Mock; tarballByName: jest.Mock };
    pypi: { index: jest.Mock; project: jest.Mock; file: jest.Mock; canonicalName: jest.Mock };
    maven: { get: jest.Mock };
    public: boolean;
  };
}

function fakeServices(): FakeServices {
  const fake = <T>(methods: Array<keyof T>) =>
    Object.fromEntries(methods.map(name => [name, jest.fn()])) as unknown as Fake<T>;
  return {
    artifacts: fake<ArtifactService>([
      'create', 'preview', 'find', 'get', 'getDetails', 'list', 'update', 'delete', 'listVersions', 'listFiles',
    ]),
    runs: fake<MirrorRunService>(['startRun', 'getRun', 'listRuns']),
    collection: fake<CollectionService>(['retry', 'retryAll', 'stats', 'purgeObjects']),
    exports: fake<ExportService>([
      'createExport', 'getExport', 'listExports', 'deleteExport', 'openPart', 'openManifest', 'openSignature', 'artifactSbom',
      'failAbandoned', 'drain', 'stop',
    ]),
    serve: {
      npm: { packument: jest.fn(), tarball: jest.fn(), tarballByName: jest.fn() },
      pypi: { index: jest.fn(), project: jest.fn(), file: jest.fn(), canonicalName: jest.fn() },
      maven: { get: jest.fn() },
      public: false,
    },
  };
}

/** The router on fake services, and what the test controls and observes. */
export interface RouterHarness {
  app: express.Express;
  services: FakeServices;
  /** Audit events, in order. */
  events: AuditRecord[];
  /** Decisions by permission name; anything not named is allowed. */
  decisions: Record<string, PolicyDecision>;
}

/** A stored artifact as the services answer it. */
export function artifactOf(fields: Partial<Artifact> & { processor: string; id: string }): Artifact {
  return {
    root: true,
    config: {},
    dependencyPolicy: 'latest',
    status: 'ok',
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    ...fields,
  };
}

/** A run as the run service answers it. */
export function runOf(fields: Partial<MirrorRun> = {}): MirrorRun {
  return {
    id: '5f0c3a64-7b7e-4c59-9a43-1d5c2f2f8b11',
    trigger: 'manual',
    status: 'queued',
    createdAt: '2026-11-01T00:00:00.000Z',
    counters: {
      artifacts: 0,
      artifactsFailed: 0,
      versionsSelected: 0,
      filesQueued: 0,
      filesCollected: 0,
      filesFailed: 0,
      filesParked: 0,
      versionsDenied: 0,
      versionsPendingApproval: 0,
      bytes: 0,
    },
    ...fields,
  };
}

/**
 * Creates the router over fake services with a `test` processor, the mock
 * authentication of `@backstage/backend-test-utils` (requests without a
 * token are the mock user) and a permission policy the test sets through
 * `decisions`.
 */
export async function createRouterHarness(): Promise<RouterHarness> {
  const services = fakeServices();
  const events: AuditRecord[] = [];
  const decisions: Record<string, PolicyDecision> = {};
  const processors = new ProcessorRegistry();
  processors.add({
    name: 'test',
    description: 'A processor the router lists',
    configSchema: z.strictObject({ registry: z.url().optional() }),
    versions: semverScheme,
    async discover() {
      throw new Error('the router never discovers');
    },
  });
  const router = await createRouter({
    logger: mockServices.logger.mock(),
    httpAuth: mockServices.httpAuth({ pluginId: 'backpack' }),
    permissions: policyPermissions(name => decisions[name] ?? { result: AuthorizeResult.ALLOW }),
    auditor: collectingAuditorService(events),
    artifacts: services.artifacts as unknown as ArtifactService,
    runs: services.runs,
    collection: services.collection as unknown as CollectionService,
    exports: services.exports as unknown as ExportService,
    processors,
    serve: services.serve as unknown as ServeViews,
  });
  const app = express().use(router).use(mockErrorHandler());
  return { app, services, events, decisions };
}
