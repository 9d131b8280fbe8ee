import {
  coreServices,
  createBackendPlugin,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import { Collector } from './collection/Collector';
import { readUnverifiedFilesPolicy } from './collection/fileAdmission';
import { readCollectionSettings } from './collection/collectionSettings';
import { LeaseReaper } from './collection/LeaseReaper';
import { isRetryable, SafeFetcher } from './upstream/SafeFetcher';
import { createJobQueue, readQueueSettings } from './collection/queue/createJobQueue';
import { createBackpackStores } from './database/createBackpackStores';
import { MirrorRunner } from './runs/MirrorRunner';
import { backpackProcessorsExtensionPoint } from './extensions';
import { createRouter } from './routes/createRouter';
import { readJsonBodySettings } from './routes/jsonBody';
import { SERVE_PATHS } from './routes/viewRoutes';
import { registerBackpackPermissions } from './permissions';
import { createBuiltInProcessors } from './processors/createBuiltInProcessors';
import { ProcessorRegistry } from './processors/ProcessorRegistry';
import { UpstreamClient } from './upstream/UpstreamClient';
import { readDownloadLimits } from './upstream/limits';
import { UpstreamTransport } from './upstream/UpstreamTransport';
import { ArtifactService } from './artifacts/ArtifactService';
import { CollectionService } from './collection/CollectionService';
import { RunService } from './runs/RunService';
import { RunWatcher } from './runs/RunWatcher';
import { ExportService, readExportSettings } from './exports/ExportService';
import { StorageKeyMigration } from './storage/StorageKeyMigration';
import { createServeViews } from './views/ServeViews';
import { createBlobStore } from './storage/createBlobStore';
import { createWorkerId, isDeadLocalWorker } from './lib/workerIdentity';

const MIRROR_TASK_ID = 'backpack-mirror-run';
const SWEEP_TASK_ID = 'backpack-collection-sweep';
const KEY_MIGRATION_TASK_ID = 'backpack-storage-key-migration';
const REAPER_TASK_ID = 'backpack-lease-reaper';

/**
 * Backpack: mirrors packages and their dependency closures into S3.
 *
 * @public
 */
export const backpackPlugin = createBackendPlugin({
  pluginId: 'backpack',
  register(env) {
    const processors = new ProcessorRegistry();
    env.registerExtensionPoint(backpackProcessorsExtensionPoint, {
      addProcessor(...added) {
        added.forEach(p => processors.add(p));
      },
    });

    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        discovery: coreServices.discovery,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
      },
      async init({
        config,
        logger,
        database,
        discovery,
        httpRouter,
        httpAuth,
        permissions,
        permissionsRegistry,
        auditor,
        scheduler,
        lifecycle,
      }) {
        const workerId = createWorkerId();
        // One transport, and with it one host policy, for discovery and
        // collection; `backpack.allowedHosts` are the operator's hosts.
        const transport = UpstreamTransport.fromConfig(config);
        const upstream = UpstreamClient.fromConfig(
          config.getOptionalConfig('backpack.upstream'),
          transport,
        );
        // Built-ins register like any module's processor; one a module
        // already added under the same name takes precedence.
        for (const processor of createBuiltInProcessors(config, upstream)) {
          if (!processors.has(processor.name)) processors.add(processor);
        }

        const stores = await createBackpackStores({ database });
        const blobStore = await createBlobStore(config);
        const queue = await createJobQueue(config, logger);
        const queueSettings = readQueueSettings(config);
        const collectionSettings = readCollectionSettings(config, queueSettings);

        // Built-ins registered their hosts when created; processors added
        // by modules name theirs here, as public-only defaults.
        transport.policy.allow(
          processors.list().flatMap(p => p.allowedHosts?.() ?? []),
          'default',
        );
        const fetcher = new SafeFetcher({
          transport,
          download: readDownloadLimits(config),
        });
        const watcher = new RunWatcher({
          stores,
          logger,
          workerId,
          isDeadWorker: isDeadLocalWorker,
        });
        const collector = new Collector({
          stores,
          blobStore,
          queue,
          fetcher,
          logger,
          workerId,
          maxAttempts: queueSettings.maxAttempts,
          isRetryable,
          unverifiedFiles: readUnverifiedFilesPolicy(config),
          leaseMs: collectionSettings.leaseMs,
          maxConcurrencyPerHost: collectionSettings.maxConcurrencyPerHost,
          maxRetryAfterMs: queueSettings.maxRetryAfterMs,
          onSettled: runId => watcher.nudge(runId),
        });
        const reaper = new LeaseReaper({ stores, queue });
        // A file queued less than this long ago is taken to be in flight
        // (waiting in the queue or in a retry delay) and is not queued again.
        const requeueAfterMs = 60 * 60_000;
        // In-process jobs die with the process, so at startup everything
        // queued is stale; RabbitMQ's jobs survive a restart.
        const startupRequeueAfterMs = queueSettings.durable ? requeueAfterMs : 0;
        const runner = new MirrorRunner({
          stores,
          processors,
          collection: collector,
          logger,
          requeueAfterMs,
        });
        const runs = new RunService({
          stores,
          executor: runner,
          logger,
          workerId,
          watcher,
        });
        const artifacts = new ArtifactService({
          stores,
          processors,
          previewer: runner,
          onDelete: ref => collector.abortArtifact(ref),
        });
        const collection = new CollectionService({
          stores,
          collector,
          queue,
          blobStore,
          logger,
          requeueAfterMs,
        });

        const exportService = new ExportService({
          stores,
          blobStore,
          logger,
          workerId,
          processorNames: () => processors.list().map(p => p.name),
          ...readExportSettings(config),
        });

        const serve = createServeViews({
          config,
          stores,
          blobStore,
          discovery,
          logger,
        });

        registerBackpackPermissions(permissionsRegistry, {
          getArtifact: (processor, id) => artifacts.find(processor, id),
        });

        httpRouter.use(
          await createRouter({
            logger,
            httpAuth,
            permissions,
            permissionsRegistry,
            auditor,
            artifacts,
            runs,
            collection,
            exports: exportService,
            processors,
            serve,
            jsonBody: readJsonBodySettings(config),
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
        // The registry views authenticate callers themselves: native clients
        // send basic auth, which the router's credentials barrier refuses.
        for (const path of SERVE_PATHS) {
          httpRouter.addAuthPolicy({ path, allow: 'unauthenticated' });
        }

        const scheduleConfig = config.getOptionalConfig('backpack.schedule');
        await scheduler.scheduleTask({
          id: MIRROR_TASK_ID,
          scope: 'global',
          ...(scheduleConfig
            ? readSchedulerServiceTaskScheduleDefinitionFromConfig(scheduleConfig)
            : { frequency: { hours: 6 }, timeout: { hours: 3 } }),
          fn: signal => runs.runScheduled(signal),
        });
        // Jobs can go missing between runs (a broker lost a queue), and an
        // outage parks files; the sweep queues both again.
        const sweep = () =>
          collector.sweep({
            requeueAfterMs: startupRequeueAfterMs,
            parkedRetryAfterMs: collectionSettings.parkedRetryAfterMs,
          });
        await scheduler.scheduleTask({
          id: SWEEP_TASK_ID,
          scope: 'global',
          frequency: { minutes: 10 },
          timeout: { minutes: 5 },
          initialDelay: { minutes: 10 },
          fn: async () => {
            await sweep();
          },
        });
        // A replica that died holding leases: its files are queued again
        // soon after the leases ran out, not at the next sweep.
        await scheduler.scheduleTask({
          id: REAPER_TASK_ID,
          scope: 'global',
          frequency: { seconds: Math.max(5, Math.round(collectionSettings.leaseMs / 2000)) },
          timeout: { minutes: 1 },
          fn: async () => {
            await reaper.reap();
          },
        });

        // Files stored under the keys of earlier releases move to derived
        // keys with verified bytes, on one replica at a time; later runs
        // catch a collection that finished under an old key meanwhile.
        const keyMigration = new StorageKeyMigration({
          stores,
          blobStore,
          logger,
        });
        await scheduler.scheduleTask({
          id: KEY_MIGRATION_TASK_ID,
          scope: 'global',
          frequency: { hours: 1 },
          timeout: { hours: 12 },
          initialDelay: { seconds: 5 },
          fn: async signal => {
            const { reset } = await keyMigration.run(signal);
            if (reset > 0) await collector.sweep({ requeueAfterMs: startupRequeueAfterMs });
          },
        });

        lifecycle.addStartupHook(async () => {
          // What writers that crashed left behind (temporary files,
          // incomplete uploads) goes first; failing to clean is no reason
          // not to start.
          await blobStore
            .recover?.()
            .then(({ removed, skipped }) =>
              skipped
                ? logger.warn(`Blob store recovery skipped: ${skipped}`)
                : removed && logger.info(`Removed ${removed} leftovers of crashed writers`),
            )
            .catch(error => logger.warn(`Blob store recovery failed: ${error}`));
          // Leases of processes on this host that no longer run (a kill -9
          // before this restart) end now rather than when they run out.
          await reaper.reap({ isDead: isDeadLocalWorker });
          await collector.start();
          // Nothing is lost across restarts: files neither collected nor in
          // flight are queued again, and runs left behind are resumed.
          await sweep();
          await runs.resumeAbandoned();
          watcher.start();
          await exportService.failAbandoned();
        });
        lifecycle.addShutdownHook(async () => {
          await runs.stop();
          await exportService.stop();
          // Downloads in flight are abandoned rather than awaited; their
          // files are released and collected after the restart.
          collector.stop();
          await queue.stop();
          await fetcher.close();
          await transport.close();
        });
      },
    });
  },
});
