import {
  AuditorService,
  DatabaseService,
  DiscoveryService,
  HttpAuthService,
  HttpRouterServiceAuthPolicy,
  LoggerService,
  PermissionsRegistryService,
  PermissionsService,
  SchedulerService,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import { Config } from '@backstage/config';
import { EventsService } from '@backstage/plugin-events-node';
import express from 'express';
import { AdmissionService } from '../admission/AdmissionService';
import { ApprovalService } from '../admission/ApprovalService';
import { BackpackAdmissionCheck } from '../admission/types';
import { WalkAdmission } from '../admission/walkAdmission';
import { ArtifactService } from '../artifacts/ArtifactService';
import { CollectionService } from '../collection/CollectionService';
import { readJobSettings } from '../collection/collectionSettings';
import { BackpackStores, createBackpackStores } from '../database/createBackpackStores';
import { BackpackEvents } from '../events/BackpackEvents';
import { createBackpackEvents } from '../events/createBackpackEvents';
import { ExportService } from '../exports/ExportService';
import { readExportSettings } from '../exports/exportSettings';
import { createWorkerId } from '../lib/workerIdentity';
import { registerBackpackPermissions } from '../permissions';
import { BackpackProcessorFactory } from '../processors/context';
import { ProcessorRegistry, ProcessorRegistrationOptions } from '../processors/ProcessorRegistry';
import { BackpackProcessor } from '../processors/types';
import { createRootRoutes, createRouter } from '../routes/createRouter';
import { readJsonBodySettings } from '../routes/jsonBody';
import { SERVE_PATHS } from '../routes/viewRoutes';
import { MirrorRunner } from '../runs/MirrorRunner';
import { RunService } from '../runs/RunService';
import { createBlobStore } from '../storage/createBlobStore';
import { readParsingLimits } from '../upstream/limits';
import { UpstreamClient } from '../upstream/UpstreamClient';
import { discoveryConcurrency } from '../runs/discoveryConcurrency';
import { BackpackUpstreamGate } from '../upstream/upstreamGateService';
import { createServeViews } from '../views/ServeViews';
import { BackgroundWork } from './BackgroundWork';
import { CollectionParts, createCollectionParts } from './collectionParts';

/** The core services Backpack is built from. */
export interface BackpackEnvironment {
  config: Config;
  logger: LoggerService;
  database: DatabaseService;
  discovery: DiscoveryService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  /** Where the permission rules are registered; without it only the built-in rules are known. */
  permissionsRegistry?: PermissionsRegistryService;
  auditor: AuditorService;
  /**
   * Where files and plain metadata GETs go: the plugin's UrlReaderService,
   * which must have been built with `gate`'s reader factory. Without it,
   * Backstage's default readers with Backpack's reader first.
   */
  urlReader?: UrlReaderService;
  /** The plugin's upstream gate; one from config without it. */
  gate?: BackpackUpstreamGate;
  /** Where change events are published; none without it. */
  events?: EventsService;
}

/** Settings that are no operator's concern, for tests that need quick turns. */
export interface BackpackTuning {
  /** How often collecting runs are checked for settlement. Default 5000. */
  runWatchIntervalMs?: number;
  /** Identifies this replica in leases; default host, pid and a random part. */
  workerId?: string;
}

/** A built Backpack: its router, its background work, and its parts. */
export interface Backpack {
  /** The REST API and the registry views, for `/api/backpack`. */
  router: express.Router;
  /** Registry views clients look for at the backend's origin (OCI's `/v2`), for the root router. */
  rootRoutes: Array<{ path: string; router: express.Router }>;
  /** Paths that answer without the router's credentials barrier. */
  authPolicies: HttpRouterServiceAuthPolicy[];
  /** Registers the scheduled tasks (mirror runs, sweeps, lease reaping, key migration). */
  schedule(scheduler: SchedulerService): Promise<void>;
  /** Startup: cleans up after crashes, starts collecting, resumes what was left. */
  start(): Promise<void>;
  /** Shutdown: stops runs, exports and collection; closes connections. */
  stop(): Promise<void>;
  stores: BackpackStores;
  processors: ProcessorRegistry;
  artifacts: ArtifactService;
  runs: RunService;
  runner: MirrorRunner;
  collection: CollectionService;
  exports: ExportService;
  collector: CollectionParts['collector'];
  /** The parts of collection, for tests and benchmarks that drive them. */
  parts: CollectionParts;
  upstream: UpstreamClient;
  /** Admission verdicts (cached per version and policy revision) and approvals. */
  admission: AdmissionService;
  approvals: ApprovalService;
  /** The change events publisher (a no-op one without an events service). */
  events: BackpackEvents;
}

/**
 * Owns the wiring of Backpack, in the spirit of catalog-backend's
 * CatalogBuilder: the plugin, the test harness and the benchmarks all
 * build it here, so there is one wiring. Processors are added before
 * `build()`; everything else comes from config.
 */
export class BackpackBuilder {
  private readonly processors = new ProcessorRegistry();
  private readonly admissionChecks: BackpackAdmissionCheck[] = [];
  private tuning: BackpackTuning = {};

  static create(env: BackpackEnvironment): BackpackBuilder {
    return new BackpackBuilder(env);
  }

  private constructor(private readonly env: BackpackEnvironment) {}

  /** Adds ready processors. */
  addProcessor(processor: BackpackProcessor, options?: ProcessorRegistrationOptions): this {
    this.processors.add(processor, options);
    return this;
  }

  /** Adds a processor created at `build()` from the gated upstream client and config. */
  addProcessorFactory(factory: BackpackProcessorFactory, options?: ProcessorRegistrationOptions): this {
    this.processors.addFactory(factory, options);
    return this;
  }

  /** Adds admission checks, asked after the built-in ones of `backpack.admission`. */
  addAdmissionCheck(...checks: BackpackAdmissionCheck[]): this {
    this.admissionChecks.push(...checks);
    return this;
  }

  /** Tunes what is no operator's concern; for tests. */
  setTuning(tuning: BackpackTuning): this {
    this.tuning = { ...this.tuning, ...tuning };
    return this;
  }

  async build(): Promise<Backpack> {
    const { config, logger, database } = this.env;
    const workerId = this.tuning.workerId ?? createWorkerId();

    // One transport, and with it one host policy, for discovery,
    // collection and Backpack's URL reader; `backpack.allowedHosts` are the
    // operator's hosts.
    const gate = this.env.gate ?? BackpackUpstreamGate.fromConfig(config);
    const urlReader =
      this.env.urlReader ?? UrlReaders.default({ config, logger, factories: [gate.readerFactory] });
    if (!gate.readerInstalled) {
      // Reading Backpack's hosts through readers without its checks would
      // open the gate; refuse to start instead.
      throw new Error(
        "Backpack's URL reader is not part of the backpack plugin's UrlReaderService: add the package's default export, or `backpackUrlReaderFactories` next to `backpackPlugin`, and keep the backend's default urlReader service factory",
      );
    }
    const transport = gate.transport;
    const upstream = UpstreamClient.fromConfig(
      config.getOptionalConfig('backpack.upstream'),
      transport,
      urlReader,
    );
    const { processors } = this;
    processors.create({ config, logger, upstream, limits: readParsingLimits(config) });
    // Processors added ready-made name their hosts here, as public-only
    // defaults; those created from the context registered theirs already.
    transport.policy.allow(
      processors.list().flatMap(p => p.allowedHosts?.() ?? []),
      'default',
    );

    const stores = await createBackpackStores({
      database,
      preparedStatements: config.getOptionalBoolean('backpack.database.preparedStatements'),
    });
    const events = createBackpackEvents({
      config,
      logger,
      discovery: this.env.discovery,
      events: this.env.events,
      getRun: id => stores.runs.getRun(id),
    });
    const blobStore = await createBlobStore(config);
    const jobs = readJobSettings(config);
    const parts = await createCollectionParts({
      config,
      logger,
      stores,
      blobStore,
      urlReader,
      gated: url => transport.policy.owns(url),
      jobs,
      workerId,
      runWatchIntervalMs: this.tuning.runWatchIntervalMs,
      events,
    });
    const { collector } = parts;

    const admission = AdmissionService.fromConfig(config, {
      processors,
      checks: this.admissionChecks,
      logger,
    });
    // A reloaded config with another policy clears the cached verdicts.
    config.subscribe?.(() => admission.reloadFrom(config));
    const runner = new MirrorRunner({
      stores,
      admission: new WalkAdmission(admission, stores),
      processors,
      collection: collector,
      logger,
      requeueAfterMs: jobs.queue.requeueAfterMs,
      concurrency: discoveryConcurrency(config),
      events,
    });
    const runs = new RunService({ stores, executor: runner, logger, workerId, watcher: parts.watcher, events });
    const artifacts = new ArtifactService({
      stores,
      processors,
      previewer: runner,
      onDelete: ref => collector.abortArtifact(ref),
      events,
    });
    const collection = new CollectionService({
      stores,
      collector,
      queue: parts.queue,
      blobStore,
      logger,
      requeueAfterMs: jobs.queue.requeueAfterMs,
      statsCacheMs: jobs.collection.statsCacheMs,
    });
    const exports = new ExportService({
      stores,
      blobStore,
      logger,
      workerId,
      processorNames: () => processors.list().map(p => p.name),
      ...readExportSettings(config),
      events,
    });

    const approvals = new ApprovalService({
      stores,
      enqueue: artifactRef =>
        collector.enqueuePending({ artifactRefs: [artifactRef], staleAfterMs: jobs.queue.requeueAfterMs }),
      events,
    });
    const { router, rootRoutes } = await this.createRouters({
      stores,
      blobStore,
      approvals,
      artifacts,
      runs,
      collection,
      exports,
    });
    const background = new BackgroundWork({
      config,
      logger,
      stores,
      blobStore,
      parts,
      jobs,
      runs,
      exports,
      events,
      close: () => transport.close(),
    });

    return {
      router,
      rootRoutes,
      authPolicies: [
        { path: '/health', allow: 'unauthenticated' },
        // The registry views authenticate callers themselves: native clients
        // send basic auth, which the router's credentials barrier refuses.
        ...SERVE_PATHS.map(path => ({ path, allow: 'unauthenticated' as const })),
      ],
      schedule: scheduler => background.schedule(scheduler),
      start: () => background.start(),
      stop: () => background.stop(),
      stores,
      processors,
      artifacts,
      runs,
      runner,
      collection,
      exports,
      collector,
      parts,
      upstream,
      admission,
      approvals,
      events,
    };
  }

  private async createRouters(services: {
    stores: BackpackStores;
    blobStore: Awaited<ReturnType<typeof createBlobStore>>;
    artifacts: ArtifactService;
    runs: RunService;
    collection: CollectionService;
    exports: ExportService;
    approvals: ApprovalService;
  }): Promise<Pick<Backpack, 'router' | 'rootRoutes'>> {
    const { config, logger, discovery, httpAuth, permissions, permissionsRegistry, auditor } = this.env;
    const { stores, blobStore, artifacts } = services;
    if (permissionsRegistry) {
      registerBackpackPermissions(permissionsRegistry, {
        getArtifact: (processor, id) => artifacts.find(processor, id),
      });
    }
    const serve = createServeViews({ config, stores, blobStore, discovery, logger });
    const router = await createRouter({
      logger,
      httpAuth,
      permissions,
      permissionsRegistry,
      auditor,
      ...services,
      processors: this.processors,
      serve,
      jsonBody: readJsonBodySettings(config),
    });
    const rootRoutes = createRootRoutes({ logger, httpAuth, permissions, permissionsRegistry, artifacts, serve });
    return { router, rootRoutes };
  }
}
