import { coreServices, createBackendPlugin } from '@backstage/backend-plugin-api';
import { EventsService } from '@backstage/plugin-events-node';
import { BackpackBuilder } from './builder/BackpackBuilder';
import { backpackAdmissionExtensionPoint } from './admission/extensionPoint';
import { BackpackAdmissionCheck } from './admission/types';
import { backpackEventsExtensionPoint } from './events/module';
import { backpackProcessorsExtensionPoint } from './extensions';
import { BackpackProcessorFactory } from './processors/context';
import { BackpackProcessor } from './processors/types';
import { backpackUpstreamGateServiceRef } from './upstream/upstreamGateService';

/**
 * Backpack: mirrors packages and their dependency closures into S3. The
 * plugin alone knows no ecosystem; the package's default export adds the
 * built-in processors as modules (see `modules.ts`).
 *
 * @public
 */
export const backpackPlugin = createBackendPlugin({
  pluginId: 'backpack',
  register(env) {
    // Collected while modules register, handed to the builder at init.
    const added: Array<
      | { processor: BackpackProcessor }
      | { factory: BackpackProcessorFactory; replaceable?: boolean }
    > = [];
    env.registerExtensionPoint(backpackProcessorsExtensionPoint, {
      addProcessor(...processors) {
        processors.forEach(processor => added.push({ processor }));
      },
      addProcessorFactory(factory, options) {
        added.push({ factory, replaceable: options?.replaceable });
      },
    });

    const admissionChecks: BackpackAdmissionCheck[] = [];
    env.registerExtensionPoint(backpackAdmissionExtensionPoint, {
      addCheck(...checks) {
        admissionChecks.push(...checks);
      },
    });

    // Set by the events module when the backend has an events service.
    let events: EventsService | undefined;
    env.registerExtensionPoint(backpackEventsExtensionPoint, {
      setEventsService(service) {
        events = service;
      },
    });

    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        discovery: coreServices.discovery,
        httpRouter: coreServices.httpRouter,
        rootHttpRouter: coreServices.rootHttpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        // Files and plain metadata GETs come through the URL reader, which
        // hands the gate's hosts to the gate's reader.
        urlReader: coreServices.urlReader,
        gate: backpackUpstreamGateServiceRef,
      },
      async init({ httpRouter, rootHttpRouter, scheduler, lifecycle, ...services }) {
        const builder = BackpackBuilder.create({ ...services, events });
        for (const entry of added) {
          if ('processor' in entry) builder.addProcessor(entry.processor);
          else builder.addProcessorFactory(entry.factory, { replaceable: entry.replaceable });
        }
        builder.addAdmissionCheck(...admissionChecks);
        const backpack = await builder.build();

        httpRouter.use(backpack.router);
        // OCI clients look for `/v2/` at the origin, not under /api/backpack.
        backpack.rootRoutes.forEach(({ path, router }) => rootHttpRouter.use(path, router));
        backpack.authPolicies.forEach(policy => httpRouter.addAuthPolicy(policy));
        await backpack.schedule(scheduler);
        lifecycle.addStartupHook(() => backpack.start());
        lifecycle.addShutdownHook(() => backpack.stop());
      },
    });
  },
});
