import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import { Knex } from 'knex';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Backpack, BackpackBuilder } from '../builder/BackpackBuilder';
import { Collector } from '../collection/Collector';
import { JobQueue } from '../collection/queue/JobQueue';
import { NewArtifact } from '../database/ArtifactStore';
import { BackpackStores } from '../database/createBackpackStores';
import { builtInProcessorFactories } from '../processors/builtInProcessors';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';
import { MirrorRunner } from '../runs/MirrorRunner';
import { RunService } from '../runs/RunService';
import { RunWatcher } from '../runs/RunWatcher';
import { MirrorRun, MirrorRunStatus } from '../types';
import { UpstreamClient } from '../upstream/UpstreamClient';
import { BackpackProcessor } from '../processors/types';
import { BackpackAdmissionCheck } from '../admission/types';
import { waitFor } from './waitFor';

/** Every row of the tables a run may write, to prove that it wrote none. */
export async function storedRows(knex: Knex) {
  const tables = ['artifacts', 'artifact_versions', 'artifact_files', 'artifact_dependencies'];
  return Object.fromEntries(
    await Promise.all(
      tables.map(async table => [table, await knex(table).orderBy('ref')] as const),
    ),
  );
}

/** Base URLs of the upstreams a harness talks to; processors without one are left out. */
export interface HarnessUpstreams {
  npm?: string;
  pypi?: string;
  maven?: string;
}

/**
 * Backpack as the plugin builds it (the same builder), over a test
 * database: real processors against local upstreams, the stores, the mirror
 * runner and run service, and a collector with the in-process queue and a
 * temporary directory as blob store.
 */
export class MirrorHarness {
  readonly stores: BackpackStores;
  readonly upstream: UpstreamClient;
  readonly processors: ProcessorRegistry;
  readonly runner: MirrorRunner;
  readonly runs: RunService;
  readonly collector: Collector;
  readonly watcher: RunWatcher;
  readonly queue: JobQueue;

  private constructor(
    readonly knex: Knex,
    readonly backpack: Backpack,
    private readonly blobDirectory: string,
  ) {
    this.stores = backpack.stores;
    this.upstream = backpack.upstream;
    this.processors = backpack.processors;
    this.runner = backpack.runner;
    this.runs = backpack.runs;
    this.collector = backpack.collector;
    this.watcher = backpack.parts.watcher;
    this.queue = backpack.parts.queue;
  }

  /**
   * Builds Backpack with the builder the plugin uses, over the test
   * database, with the built-in processors of the given upstreams only, the
   * in-process queue (quick retries, two attempts, no in-flight window) and
   * a temporary directory as blob store. Nothing starts: collection starts
   * with {@link MirrorHarness.startCollecting}.
   */
  static async create(
    knex: Knex,
    upstreams: HarnessUpstreams,
    options: {
      workerId?: string;
      skipMigrations?: boolean;
      /** More processors, registered as a module's are (their hosts allowed as defaults). */
      processors?: BackpackProcessor[];
      /** More `backpack` config keys (e.g. `admission`), beside the harness's own. */
      backpack?: JsonObject;
      /** Admission checks, added as a module's are. */
      admissionChecks?: BackpackAdmissionCheck[];
    } = {},
  ): Promise<MirrorHarness> {
    const blobDirectory = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-harness-'));
    const processor = (key: string, url?: string): JsonObject =>
      url ? { [key]: url } : { enabled: false };
    const config = new ConfigReader({
      backend: { baseUrl: 'http://localhost:7007' },
      backpack: {
        processors: {
          npm: processor('registry', upstreams.npm),
          pypi: processor('index', upstreams.pypi),
          maven: processor('repository', upstreams.maven),
        },
        upstream: { retries: 0 },
        storage: { local: { directory: blobDirectory } },
        queue: { concurrency: 4, retryDelaysMs: [10], maxAttempts: 2, requeueAfterMinutes: 0 },
        ...options.backpack,
      },
    });
    const builder = BackpackBuilder.create({
      config,
      logger: mockServices.logger.mock(),
      database: {
        getClient: async () => knex,
        migrations: { skip: options.skipMigrations ?? false },
      },
      discovery: mockServices.discovery(),
      httpAuth: mockServices.httpAuth(),
      permissions: mockServices.permissions(),
      auditor: mockServices.auditor.mock(),
    }).setTuning({ runWatchIntervalMs: 50, workerId: options.workerId ?? 'harness' });
    for (const factory of Object.values(builtInProcessorFactories)) {
      builder.addProcessorFactory(factory);
    }
    for (const extra of options.processors ?? []) builder.addProcessor(extra);
    builder.addAdmissionCheck(...(options.admissionChecks ?? []));
    const backpack = await builder.build();
    // Runs settle while the harness lives, as after the plugin's startup.
    backpack.parts.watcher.start();
    return new MirrorHarness(knex, backpack, blobDirectory);
  }

  /** Adds a root artifact the way the artifact service stores it. */
  addRoot(artifact: Partial<NewArtifact> & { processor: string; id: string }) {
    return this.stores.artifacts.createArtifact({
      config: {},
      dependencyPolicy: 'latest',
      ...artifact,
      root: true,
    });
  }

  /**
   * Starts a run, waits for its walk and answers it as stored. When this
   * harness collects (see {@link MirrorHarness.startCollecting}) it waits
   * for the run to settle too. Throws unless the run ended in one of
   * `allow`: by default `succeeded`, or `collecting` as well while nothing
   * collects.
   */
  async run(
    request: Partial<Parameters<RunService['startRun']>[0]> = {},
    options: { allow?: MirrorRunStatus[] } = {},
  ): Promise<MirrorRun> {
    const started = await this.runs.startRun({ trigger: 'manual', ...request });
    await this.runs.drain();
    let run = (await this.stores.runs.getRun(started.id))!;
    if (this.collecting) run = await this.settled(run.id);
    const allow = options.allow ?? (this.collecting ? ['succeeded'] : ['collecting', 'succeeded']);
    if (!allow.includes(run.status)) {
      throw new Error(`run ${run.id} ended ${run.status}: ${run.error}`);
    }
    return run;
  }

  /** Waits until a run is no longer queued, running or collecting; bounded. */
  async settled(runId: string): Promise<MirrorRun> {
    return waitFor(
      `run ${runId} to settle`,
      async () => {
        const run = (await this.stores.runs.getRun(runId))!;
        return ['queued', 'running', 'collecting'].includes(run.status) ? undefined : run;
      },
      { attempts: 1200, intervalMs: 25 },
    );
  }

  /** `id@version` of every selected version, sorted; per processor when given. */
  async selectedPairs(processor?: string): Promise<string[]> {
    const pairs: string[] = [];
    for (const artifact of await this.stores.artifacts.listAllArtifacts()) {
      if (processor && artifact.processor !== processor) continue;
      for (const version of await this.stores.versions.getVersions(artifact.ref)) {
        if (version.status === 'selected') pairs.push(`${artifact.id}@${version.version}`);
      }
    }
    return pairs.sort();
  }

  private collecting = false;

  /** Consumes collect jobs from now on. */
  startCollecting(): Promise<void> {
    this.collecting = true;
    return this.collector.start();
  }

  /** Waits until no file of a selected version is pending or queued; bounded. */
  async waitForCollection(): Promise<void> {
    await waitFor(
      'collection to finish',
      async () => !(await this.stores.files.stats()).some(s => s.status === 'pending' || s.status === 'queued'),
      { attempts: 1200, intervalMs: 25 },
    );
  }

  async close(): Promise<void> {
    await this.backpack.stop();
    await fs.rm(this.blobDirectory, { recursive: true, force: true });
  }
}
