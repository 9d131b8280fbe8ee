import { NotFoundError } from '@backstage/errors';
import { ViewRoutes } from './viewHttp';

/**
 * Terraform's provider network mirror protocol under `/terraform/`:
 * `/:hostname/:namespace/:type/index.json`, `/:version.json` and the
 * packages beside them.
 */
export const terraformViewRoutes: ViewRoutes = {
  paths: ['/terraform'],
  add(router, http) {
    const { serve } = http;
    router.get('/terraform/:hostname/:namespace/:type/index.json', async (req, res) => {
      const { hostname, namespace, type } = req.params;
      const access = await http.access(req, res);
      http.sendDocument(res, await serve.terraform.versionIndex(hostname, namespace, type, access));
    });
    router.get('/terraform/:hostname/:namespace/:type/:file', async (req, res) => {
      const { hostname, namespace, type, file } = req.params;
      const access = await http.access(req, res);
      if (file.endsWith('.zip')) {
        await http.sendFile(req, res, await serve.terraform.archive(hostname, namespace, type, file, access));
      } else if (file.endsWith('.json')) {
        const version = file.slice(0, -'.json'.length);
        // Terraform sends no credentials for archives: protected views link them time-limited.
        const signedLinks = !serve.public;
        http.sendDocument(
          res,
          await serve.terraform.versionDocument(hostname, namespace, type, version, access, { signedLinks }),
        );
      } else {
        throw new NotFoundError(`${file} is not part of the provider network mirror protocol`);
      }
    });
    router.get('/terraform/:hostname/:namespace/:type/archives/:expires/:signature/:file', async (req, res) => {
      const { hostname, namespace, type, expires, signature, file } = req.params;
      await http.sendFile(req, res, await serve.terraform.linkedArchive(hostname, namespace, type, { expires, signature, file }));
    });
  },
};
