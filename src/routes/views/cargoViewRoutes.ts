import { Request, Response } from 'express';
import { ViewRoutes } from './viewHttp';

/**
 * Cargo sends a registry token as the whole Authorization header, without
 * a scheme; it is taken as a Backstage bearer token.
 */
function schemelessToBearer(req: Request): void {
  const header = req.headers.authorization?.trim();
  if (header && !/^(bearer|basic)\s/i.test(header)) req.headers.authorization = `Bearer ${header}`;
}

/**
 * The Cargo sparse registry view at `/cargo/`: `config.json`, index files
 * at `1/<name>`, `2/<name>`, `3/<c>/<name>` and `<ab>/<cd>/<name>`, and
 * `.crate` files at `crates/<name>/<version>/download`.
 */
export const cargoViewRoutes: ViewRoutes = {
  paths: ['/cargo'],
  add(router, http) {
    const { serve } = http;
    const access = (req: Request, res: Response) => {
      schemelessToBearer(req);
      return http.access(req, res);
    };
    router.get('/cargo/config.json', async (req, res) => {
      await access(req, res);
      http.sendDocument(res, await serve.cargo.config());
    });
    router.get('/cargo/crates/:name/:version/download', async (req, res) => {
      const served = await serve.cargo.download(req.params.name, req.params.version, await access(req, res));
      await http.sendFile(req, res, served);
    });
    const indexFile = async (req: Request, res: Response, path: string) => {
      http.sendDocument(res, await serve.cargo.indexFile(path, await access(req, res)));
    };
    router.get('/cargo/:dir(1|2)/:name', (req, res) =>
      indexFile(req, res, `${req.params.dir}/${req.params.name}`),
    );
    router.get('/cargo/3/:first/:name', (req, res) =>
      indexFile(req, res, `3/${req.params.first}/${req.params.name}`),
    );
    router.get('/cargo/:ab/:cd/:name', (req, res) =>
      indexFile(req, res, `${req.params.ab}/${req.params.cd}/${req.params.name}`),
    );
  },
};
