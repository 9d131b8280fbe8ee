import { createBackendModule, createExtensionPoint } from '@backstage/backend-plugin-api';
import { EventsService, eventsServiceRef } from '@backstage/plugin-events-node';

/**
 * Hands Backpack the events service it publishes its change events on.
 * Without a call, Backpack publishes nothing.
 *
 * @public
 */
export interface BackpackEventsExtensionPoint {
  setEventsService(events: EventsService): void;
}

/**
 * Extension point through which {@link backpackModuleEvents} hands over
 * the events service.
 *
 * @public
 */
export const backpackEventsExtensionPoint = createExtensionPoint<BackpackEventsExtensionPoint>({
  id: 'backpack.events',
});

/**
 * Publishes Backpack's change events (see the README, "Change events") on
 * Backstage's events service. Part of the package's default export; a
 * backend without an events service adds `backpackPlugin` and the
 * modules it wants without this one, and Backpack works as before.
 *
 * @public
 */
export const backpackModuleEvents = createBackendModule({
  pluginId: 'backpack',
  moduleId: 'events',
  register(reg) {
    reg.registerInit({
      deps: { extension: backpackEventsExtensionPoint, events: eventsServiceRef },
      async init({ extension, events }) {
        extension.setEventsService(events);
      },
    });
  },
});
