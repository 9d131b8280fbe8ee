import {
  coreServices,
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { DefaultEventsService, EventParams, eventsServiceRef } from '@backstage/plugin-events-node';
import { BACKPACK_EVENT_TOPICS } from '../topics';

/**
 * The events service of `@backstage/backend-defaults` (one in-process bus
 * shared by the plugins), without the events backend's HTTP bus. The test
 * backend's default gives each plugin a bus of its own.
 */
export const eventsFactory = createServiceFactory({
  service: eventsServiceRef,
  deps: { pluginMetadata: coreServices.pluginMetadata, rootLogger: coreServices.rootLogger },
  async createRootContext({ rootLogger }) {
    return DefaultEventsService.create({ logger: rootLogger, useEventBus: 'never' });
  },
  async factory({ pluginMetadata }, root) {
    return root.forPlugin(pluginMetadata.getId());
  },
});

/** Another plugin, subscribed to every Backpack topic, collecting what it receives in order. */
export function subscriberPlugin(received: EventParams[]) {
  return createBackendPlugin({
    pluginId: 'subscriber',
    register(env) {
      env.registerInit({
        deps: { events: eventsServiceRef },
        async init({ events }) {
          await events.subscribe({
            id: 'backpack-changes',
            topics: Object.values(BACKPACK_EVENT_TOPICS),
            onEvent: async params => {
              received.push(params);
            },
          });
        },
      });
    },
  });
}
