import { ViewRoutes } from './viewHttp';

/** The Maven repository view at `/maven`: everything is a repository path. */
export const mavenViewRoutes: ViewRoutes = {
  paths: ['/maven'],
  add(router, http) {
    router.get('/maven/:path(*)', async (req, res) => {
      const access = await http.access(req, res);
      await http.sendContent(req, res, await http.serve.maven.get(req.params.path, access));
    });
  },
};
