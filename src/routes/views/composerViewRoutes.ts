import { ViewRoutes } from './viewHttp';

/**
 * The Composer repository at `/composer/`: `packages.json`, the p2
 * documents under `/composer/p2/` and the dists under `/composer/dists/`.
 */
export const composerViewRoutes: ViewRoutes = {
  paths: ['/composer'],
  add(router, http) {
    const { serve } = http;
    router.get('/composer/packages.json', async (req, res) => {
      // Checked here too, so that clients are challenged from the first request.
      await http.access(req, res);
      http.sendDocument(res, await serve.composer.packagesJson());
    });
    router.get('/composer/p2/:vendor/:file', async (req, res) => {
      const { vendor, file } = req.params;
      http.sendDocument(res, await serve.composer.metadata(vendor, file, await http.access(req, res)));
    });
    router.get('/composer/dists/:vendor/:name/:version/:file', async (req, res) => {
      const { vendor, name, version, file } = req.params;
      await http.sendFile(req, res, await serve.composer.dist(vendor, name, version, file, await http.access(req, res)));
    });
  },
};
