import { DiscoveryService, LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { EventsService } from '@backstage/plugin-events-node';
import { MirrorRun } from '../types';
import { BackpackEvents, noopBackpackEvents } from './BackpackEvents';
import { EventPublisher } from './EventPublisher';
import { readEventSettings } from './eventSettings';

/**
 * The publisher of Backpack's change events: one on the events service
 * when there is one and `backpack.events.enabled` is not false, else the
 * no-op publisher, so the services never ask whether events are on.
 */
export function createBackpackEvents(options: {
  config: Config;
  logger: LoggerService;
  discovery: DiscoveryService;
  events?: EventsService;
  getRun(id: string): Promise<MirrorRun | undefined>;
}): BackpackEvents {
  const settings = readEventSettings(options.config);
  if (!options.events || !settings.enabled) return noopBackpackEvents;
  return new EventPublisher({
    events: options.events,
    logger: options.logger,
    settings,
    baseUrl: () => options.discovery.getExternalBaseUrl('backpack'),
    getRun: options.getRun,
  });
}
