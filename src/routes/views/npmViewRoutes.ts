import { Request, Response } from 'express';
import { ViewRoutes } from './viewHttp';

/**
 * The npm registry view at `/npm`: packuments, and tarballs at
 * `<name>/-/<version>/<file>`; `<name>/-/<file>`, the URL of earlier
 * packuments, answers only where it is unambiguous. Scoped names arrive as
 * `@scope%2fname` (one segment, decoded by express) or as `@scope/name`.
 */
export const npmViewRoutes: ViewRoutes = {
  paths: ['/npm'],
  add(router, http) {
    const { serve } = http;
    const packument = async (req: Request, res: Response, name: string) => {
      http.sendDocument(res, await serve.npm.packument(name, await http.access(req, res)));
    };
    const tarball = async (
      req: Request,
      res: Response,
      name: string,
      file: string,
      version?: string,
    ) => {
      const access = await http.access(req, res);
      const served =
        version === undefined
          ? await serve.npm.tarballByName(name, file, access)
          : await serve.npm.tarball(name, version, file, access);
      await http.sendFile(req, res, served);
    };
    router.get('/npm/:scope(@[^/]+)/:name/-/:version/:file', (req, res) =>
      tarball(req, res, `${req.params.scope}/${req.params.name}`, req.params.file, req.params.version),
    );
    router.get('/npm/:scope(@[^/]+)/:name/-/:file', (req, res) =>
      tarball(req, res, `${req.params.scope}/${req.params.name}`, req.params.file),
    );
    router.get('/npm/:scope(@[^/]+)/:name', (req, res) =>
      packument(req, res, `${req.params.scope}/${req.params.name}`),
    );
    router.get('/npm/:name/-/:version/:file', (req, res) =>
      tarball(req, res, req.params.name, req.params.file, req.params.version),
    );
    router.get('/npm/:name/-/:file', (req, res) => tarball(req, res, req.params.name, req.params.file));
    router.get('/npm/:name', (req, res) => packument(req, res, req.params.name));
  },
};
