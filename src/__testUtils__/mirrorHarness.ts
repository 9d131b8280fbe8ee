import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { Knex } from 'knex';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Collector } from '../collection/Collector';
import { InProcessJobQueue } from '../collection/queue/InProcessJobQueue';
import { isRetryable, SafeFetcher } from '../upstream/SafeFetcher';
import { NewArtifact } from '../database/BackpackStore';
import { DatabaseBackpackStore } from '../database/DatabaseBackpackStore';
import { MirrorRunner } from '../runs/MirrorRunner';
import { createMavenProcessor } from '../processors/maven';
import { createNpmProcessor } from '../processors/npm/NpmProcessor';
import { ProcessorRegistry } from '../processors/ProcessorRegistry';
import { BackpackProcessor } from '../processors/types';
import { createPypiProcessor } from '../processors/pypi';
import { UpstreamClient } from '../upstream/UpstreamClient';
import { HostPolicy } from '../upstream/HostPolicy';
import { UpstreamTransport } from '../upstream/UpstreamTransport';
import { DefaultMirrorRunService } from '../runs/DefaultMirrorRunService';
import { RunWatcher } from '../runs/RunWatcher';
import { MirrorRun, MirrorRunStatus } from '../types';
import { LocalDirectoryBlobStore } from '../storage/LocalDirectoryBlobStore';
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
 * The discovery side of the plugin wired as `plugin.ts` does, over a test
 * database: real processors against local upstreams, the store, the mirror
 * runner and run service, and a collector with the in-process queue and a
 * temporary directory as blob store.
 */
export class MirrorHarness {
  private constructor(
    readonly knex: Knex,
    readonly store: DatabaseBackpackStore,
    readonly upstream: UpstreamClient,
    readonly processors: ProcessorRegistry,
    readonly runner: MirrorRunner,
    readonly runs: DefaultMirrorRunService,
    readonly collector: Collector,
    readonly watcher: RunWatcher,
    readonly queue: InProcessJobQueue,
    private readonly fetcher: SafeFetcher,
    private readonly transport: UpstreamTransport,
    private readonly blobDirectory: string,
  ) {}

  static async create(
    knex: Knex,
    upstreams: HarnessUpstreams,
    options: {
      workerId?: string;
      skipMigrations?: boolean;
      /** More processors, registered as a module's are (their hosts allowed as defaults). */
      processors?: BackpackProcessor[];
    } = {},
  ): Promise<MirrorHarness> {
    const logger = mockServices.logger.mock();
    const store = await DatabaseBackpackStore.create({
      database: { getClient: async () => knex },
      skipMigrations: options.skipMigrations,
    });
    // One transport for discovery and collection, as in plugin.ts; the
    // processors register their upstreams in its policy.
    const transport = new UpstreamTransport({ policy: new HostPolicy() });
    const upstream = new UpstreamClient({ retries: 0 }, transport);
    const processors = new ProcessorRegistry();
    if (upstreams.npm) {
      processors.add(
        createNpmProcessor({ config: new ConfigReader({ registry: upstreams.npm }), upstream }),
      );
    }
    if (upstreams.pypi) {
      processors.add(
        createPypiProcessor({ config: new ConfigReader({ index: upstreams.pypi }), upstream }),
      );
    }
    if (upstreams.maven) {
      processors.add(
        createMavenProcessor({
          config: new ConfigReader({ repository: upstreams.maven }),
          upstream,
        }),
      );
    }
    for (const processor of options.processors ?? []) processors.add(processor);
    // As plugin.ts does for processors added by modules.
    transport.policy.allow(
      (options.processors ?? []).flatMap(p => p.allowedHosts?.() ?? []),
      'default',
    );
    const fetcher = new SafeFetcher({ transport });
    const queue = new InProcessJobQueue({ concurrency: 4, retryDelaysMs: [10], maxAttempts: 2 });
    const blobDirectory = await fs.mkdtemp(path.join(os.tmpdir(), 'backpack-harness-'));
    const workerId = options.workerId ?? 'harness';
    // Settles collecting runs as plugin.ts does, with a short interval.
    const watcher = new RunWatcher({ store, logger, workerId, intervalMs: 50 });
    const collector = new Collector({
      store,
      blobStore: new LocalDirectoryBlobStore({ directory: blobDirectory }),
      queue,
      fetcher,
      logger,
      workerId,
      maxAttempts: 2,
      isRetryable,
      onSettled: runId => watcher.nudge(runId),
    });
    // The in-process queue's setting in plugin.ts: its jobs die with the
    // process, so anything queued earlier and not collected is queued again.
    const runner = new MirrorRunner({
      store,
      processors,
      collection: collector,
      logger,
      requeueAfterMs: 0,
    });
    const runs = new DefaultMirrorRunService({ store, executor: runner, logger, workerId, watcher });
    watcher.start();
    return new MirrorHarness(
      knex,
      store,
      upstream,
      processors,
      runner,
      runs,
      collector,
      watcher,
      queue,
      fetcher,
      transport,
      blobDirectory,
    );
  }

  /** Adds a root artifact the way the artifact service stores it. */
  addRoot(artifact: Partial<NewArtifact> & { processor: string; id: string }) {
    return this.store.createArtifact({
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
    request: Partial<Parameters<DefaultMirrorRunService['startRun']>[0]> = {},
    options: { allow?: MirrorRunStatus[] } = {},
  ): Promise<MirrorRun> {
    const started = await this.runs.startRun({ trigger: 'manual', ...request });
    await this.runs.drain();
    let run = (await this.store.getRun(started.id))!;
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
        const run = (await this.store.getRun(runId))!;
        return ['queued', 'running', 'collecting'].includes(run.status) ? undefined : run;
      },
      { attempts: 1200, intervalMs: 25 },
    );
  }

  /** `id@version` of every selected version, sorted; per processor when given. */
  async selectedPairs(processor?: string): Promise<string[]> {
    const pairs: string[] = [];
    for (const artifact of await this.store.listAllArtifacts()) {
      if (processor && artifact.processor !== processor) continue;
      for (const version of await this.store.getVersions(artifact.ref)) {
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
      async () => !(await this.store.stats()).some(s => s.status === 'pending' || s.status === 'queued'),
      { attempts: 1200, intervalMs: 25 },
    );
  }

  async close(): Promise<void> {
    await this.runs.stop();
    await this.watcher.stop();
    await this.queue.stop();
    await this.fetcher.close();
    await this.transport.close();
    await fs.rm(this.blobDirectory, { recursive: true, force: true });
  }
}
