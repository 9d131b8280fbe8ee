import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { backpackAdmissionExtensionPoint } from '../extensionPoint';
import { readExternalAdmissionSettings } from './externalAdmissionConfig';
import { createExternalAdmissionCheck } from './ExternalAdmissionCheck';

/**
 * The admission plugins of `backpack.admission.external`, each a process
 * speaking the `backpack-admission` protocol over stdio, started on the
 * first check and stopped at shutdown.
 *
 * @public
 */
export const backpackModuleExternalAdmission = createBackendModule({
  pluginId: 'backpack',
  moduleId: 'external-admission',
  register(reg) {
    reg.registerInit({
      deps: {
        admission: backpackAdmissionExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
      },
      async init({ admission, config, logger, lifecycle }) {
        const checks = readExternalAdmissionSettings(config).map(settings =>
          createExternalAdmissionCheck({ settings, logger: logger.child({ admission: settings.name }) }),
        );
        if (checks.length === 0) return;
        admission.addCheck(...checks);
        lifecycle.addShutdownHook(async () => {
          await Promise.all(checks.map(check => check.close()));
        });
      },
    });
  },
});
