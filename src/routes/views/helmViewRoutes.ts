import { ViewRoutes } from './viewHttp';

/**
 * The Helm repository view at `/helm`: `<alias>/index.yaml` per chart
 * repository, chart files at `charts/<chart>/<version>/<file>`.
 */
export const helmViewRoutes: ViewRoutes = {
  paths: ['/helm'],
  add(router, http) {
    router.get('/helm/charts/:chart/:version/:file', async (req, res) => {
      const access = await http.access(req, res);
      const { chart, version, file } = req.params;
      await http.sendFile(req, res, await http.serve.helm.file(chart, version, file, access));
    });
    router.get('/helm/:alias/index.yaml', async (req, res) => {
      const access = await http.access(req, res);
      http.sendDocument(res, await http.serve.helm.index(req.params.alias, access));
    });
  },
};
