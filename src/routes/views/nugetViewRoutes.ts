import { ViewRoutes } from './viewHttp';

/**
 * The NuGet v3 feed at `/nuget/v3/index.json`: the flat container under
 * `/nuget/v3-flatcontainer/` and registration pages under
 * `/nuget/v3/registration/`.
 */
export const nugetViewRoutes: ViewRoutes = {
  paths: ['/nuget'],
  add(router, http) {
    const { serve } = http;
    router.get('/nuget/v3/index.json', async (_req, res) => {
      http.sendDocument(res, await serve.nuget.serviceIndex());
    });
    router.get('/nuget/v3-flatcontainer/:id/index.json', async (req, res) => {
      http.sendDocument(res, await serve.nuget.versionList(req.params.id, await http.access(req, res)));
    });
    router.get('/nuget/v3-flatcontainer/:id/:version/:file', async (req, res) => {
      const { id, version, file } = req.params;
      const access = await http.access(req, res);
      if (file.toLowerCase().endsWith('.nuspec')) {
        http.sendDocument(res, await serve.nuget.nuspec(id, version, access));
      } else {
        await http.sendFile(req, res, await serve.nuget.nupkg(id, version, file, access));
      }
    });
    router.get('/nuget/v3/registration/:id/index.json', async (req, res) => {
      http.sendDocument(res, await serve.nuget.registration(req.params.id, await http.access(req, res)));
    });
  },
};
