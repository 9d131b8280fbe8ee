import { ViewRoutes } from './viewHttp';

/**
 * Release files and plain files at `/files/<processor>/<id>/<version>/<name>`;
 * ids may have several segments (`owner/repo`), so the path is split by
 * the view, each segment decoded on its own.
 */
export const filesViewRoutes: ViewRoutes = {
  paths: ['/files'],
  add(router, http) {
    router.get('/files/:processor/:path(*)', async (req, res) => {
      const access = await http.access(req, res);
      // The raw path: a decoded `%2F` must not split a segment.
      const raw = req.path.split('/').slice(3);
      const segments = raw.map(segment => decodeURIComponent(segment));
      await http.sendFile(req, res, await http.serve.files.file(req.params.processor, segments, access));
    });
  },
};
