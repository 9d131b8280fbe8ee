import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { errorMessage } from '../lib/errorMessage';
import { BackpackArtifactsClient } from './BackpackArtifactsClient';
import { BACKPACK_ENTITY_PROVIDER_NAME, BackpackEntityProvider } from './BackpackEntityProvider';
import { readCatalogModuleSettings } from './catalogConfig';
import { CATALOG_CHANGE_TOPICS } from './changeTopics';

/** Ids of the scheduled tasks, in the catalog plugin's scheduler. */
export const CATALOG_TASK_IDS = {
  full: `${BACKPACK_ENTITY_PROVIDER_NAME}:full`,
  delta: `${BACKPACK_ENTITY_PROVIDER_NAME}:delta`,
} as const;

/**
 * A module of the catalog plugin that provides Backpack's root artifacts as
 * catalog entities (`kind: Resource`, `spec.type: mirrored-package`), read
 * over Backpack's REST API: a full mutation on `backpack.catalog.schedule`,
 * and delta mutations of what changed on `backpack.catalog.deltaSchedule`
 * and right after each of Backpack's change events that may change them.
 * `backend.add(catalogModuleBackpackEntityProvider)` next to the catalog
 * and Backpack.
 *
 * @public
 */
export const catalogModuleBackpackEntityProvider = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'backpack-entity-provider',
  register(env) {
    env.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        scheduler: coreServices.scheduler,
        logger: coreServices.logger,
        // The catalog plugin itself needs the events service, so it is there wherever this module runs.
        events: eventsServiceRef,
      },
      async init({ catalog, config, discovery, auth, scheduler, logger, events }) {
        const settings = readCatalogModuleSettings(config);
        const client = new BackpackArtifactsClient({
          discovery,
          auth,
          pageSize: settings.pageSize,
          maxArtifacts: settings.maxArtifacts,
        });
        const provider = new BackpackEntityProvider({
          listRootArtifacts: signal => client.listRootArtifacts(signal),
          entityContext: async () => ({
            baseUrl: await discovery.getExternalBaseUrl('backpack'),
            helmRepositories: settings.helmRepositories,
            owner: settings.owner,
            system: settings.system,
            namespace: settings.namespace,
          }),
          logger,
          // The mutations need the connection, so their tasks start with it.
          async onConnect() {
            await scheduler.scheduleTask({
              id: CATALOG_TASK_IDS.full,
              ...settings.schedule,
              fn: signal => provider.fullMutation(signal),
            });
            await scheduler.scheduleTask({
              id: CATALOG_TASK_IDS.delta,
              ...settings.deltaSchedule,
              fn: signal => provider.deltaMutation(signal),
            });
            if (!settings.events) return;
            await events.subscribe({
              id: BACKPACK_ENTITY_PROVIDER_NAME,
              topics: CATALOG_CHANGE_TOPICS,
              // Not awaited: the publisher does not wait for a read of every root.
              onEvent: async () => {
                provider
                  .requestDelta()
                  .catch(error => logger.warn(`Backpack catalog delta after a change event failed: ${errorMessage(error)}`));
              },
            });
          },
        });
        catalog.addEntityProvider(provider);
      },
    });
  },
});
