import { ViewRoutes } from './viewHttp';

/** The GOPROXY view at `/go`: `<module>/@v/…` and `<module>/@latest`, module paths case-encoded. */
export const goViewRoutes: ViewRoutes = {
  paths: ['/go'],
  add(router, http) {
    router.get('/go/:path(*)', async (req, res) => {
      const access = await http.access(req, res);
      await http.sendContent(req, res, await http.serve.go.get(req.params.path, access));
    });
  },
};
