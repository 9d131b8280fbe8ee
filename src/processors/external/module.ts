import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { backpackProcessorsExtensionPoint } from '../../extensions';
import { readExternalProcessorSettings } from './externalConfig';
import { createExternalProcessor, ExternalProcessor } from './ExternalProcessor';

/**
 * The processors of `backpack.processors.external`, each served by a
 * plugin process speaking Backpack's processor protocol over stdio. The
 * plugins are started when the backend starts (to learn their version
 * schemes; they stop again when idle) and stopped at shutdown.
 *
 * @public
 */
export const backpackModuleExternalProcessors = createBackendModule({
  pluginId: 'backpack',
  moduleId: 'external-processors',
  register(reg) {
    reg.registerInit({
      deps: {
        processors: backpackProcessorsExtensionPoint,
        config: coreServices.rootConfig,
        lifecycle: coreServices.lifecycle,
      },
      async init({ processors, config, lifecycle }) {
        const settings = readExternalProcessorSettings(config);
        const created: ExternalProcessor[] = [];
        for (const entry of settings) {
          processors.addProcessorFactory(context => {
            const processor = createExternalProcessor({
              settings: entry,
              upstream: context.upstream,
              logger: context.logger.child({ processor: entry.name }),
            });
            created.push(processor);
            return processor;
          });
        }
        lifecycle.addStartupHook(() => {
          // Not awaited: a plugin slow to start must not hold the backend up.
          for (const processor of created) void processor.warmUp();
        });
        lifecycle.addShutdownHook(async () => {
          await Promise.all(created.map(processor => processor.close()));
        });
      },
    });
  },
});
