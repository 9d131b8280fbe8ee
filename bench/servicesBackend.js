// A Backstage backend with one plugin that asks for the same core services
// as Backpack (database, scheduler, URL reader, permissions, HTTP router...)
// and does nothing with them: the memory benchmark's baseline of what any
// plugin on those services costs, so that what remains is Backpack's own.
// Its one route, `GET /api/backpack/ping`, checks the caller's credentials
// as every Backpack route does and answers an empty page: the API load
// benchmark's floor of what Backstage's HTTP stack costs per request.
// Plain JavaScript, run without the TypeScript transform:
//
//   node bench/servicesBackend.js --config <app-config.yaml>

const { createBackend } = require('@backstage/backend-defaults');
const { coreServices, createBackendPlugin } = require('@backstage/backend-plugin-api');
const { Router } = require('express');

const backend = createBackend();
backend.add(
  createBackendPlugin({
    // Backpack's id, so that the database service connects to the same
    // (prefixed) database the deployment's config describes.
    pluginId: 'backpack',
    register(env) {
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
          urlReader: coreServices.urlReader,
        },
        async init({ database, httpRouter, httpAuth }) {
          // Backpack's first statement: connect (and create the database).
          await database.getClient();
          const router = Router();
          router.get('/ping', async (req, res) => {
            await httpAuth.credentials(req, { allow: ['user', 'service'] });
            res.json({ items: [], total: 0 });
          });
          httpRouter.use(router);
        },
      });
    },
  }),
);
backend.start();
