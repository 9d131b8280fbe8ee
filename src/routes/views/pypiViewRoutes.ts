import { Request } from 'express';
import { PYPI_SIMPLE_HTML, PYPI_SIMPLE_JSON } from '../../views/metadata/pypiSimple';
import { PypiSimpleFormat } from '../../views/pypiView';
import { ViewRoutes } from './viewHttp';

/**
 * The PEP 691 form a client asked for. pip sends all three with quality
 * values; anything that does not name one (`*\/*`, none) gets the PEP 503
 * HTML every installer understands.
 */
function simpleFormat(req: Request): PypiSimpleFormat {
  const chosen = req.accepts(['text/html', PYPI_SIMPLE_JSON, PYPI_SIMPLE_HTML]);
  if (chosen === PYPI_SIMPLE_JSON) return 'json';
  if (chosen === PYPI_SIMPLE_HTML) return 'html';
  return 'legacy-html';
}

/**
 * The PyPI simple index at `/pypi/simple` (PEP 503 pages end in a slash,
 * and their links are relative to it), with files at
 * `/pypi/packages/<project>/<version>/<file>`: two projects may list files
 * of the same name.
 */
export const pypiViewRoutes: ViewRoutes = {
  paths: ['/pypi'],
  add(router, http) {
    const { serve } = http;
    router.get('/pypi/simple', async (req, res) => {
      if (!req.path.endsWith('/')) {
        res.redirect(301, `${req.baseUrl}/pypi/simple/`);
        return;
      }
      res.vary('Accept');
      http.sendDocument(res, await serve.pypi.index(simpleFormat(req), await http.access(req, res)));
    });
    router.get('/pypi/simple/:project', async (req, res) => {
      const canonical = serve.pypi.canonicalName(req.params.project);
      if (canonical !== req.params.project || !req.path.endsWith('/')) {
        res.redirect(301, `${req.baseUrl}/pypi/simple/${encodeURIComponent(canonical)}/`);
        return;
      }
      res.vary('Accept');
      const access = await http.access(req, res);
      http.sendDocument(res, await serve.pypi.project(canonical, simpleFormat(req), access));
    });
    router.get('/pypi/packages/:project/:version/:file', async (req, res) => {
      const { project, version, file } = req.params;
      const access = await http.access(req, res);
      await http.sendFile(req, res, await serve.pypi.file(project, version, file, access));
    });
  },
};
