import { Request, Response } from 'express';
import { sendStream } from '../sendStream';
import { rangeOf } from './byteRange';
import { RootViewRoutes } from './viewHttp';

/** Headers of every stored object sent: byte for byte, so never re-encoded on the way. */
function objectHeaders(res: Response, digest: string, verified: boolean) {
  res.setHeader('docker-content-digest', digest);
  res.setHeader('etag', `"${digest}"`);
  res.setHeader('cache-control', 'no-transform');
  res.setHeader('x-backpack-verified', String(verified));
}

/**
 * The OCI distribution API, read-only, at `/v2` on the backend's origin
 * (where skopeo, podman, docker and containerd look): `GET /v2/`,
 * manifests by tag or digest and blobs by digest (GET and HEAD, ranges on
 * blobs), `tags/list` with `n`/`last` pages and `Link`, and the referrers
 * API. Names are artifact ids and contain slashes, hence the patterns.
 */
export const ociViewRoutes: RootViewRoutes = {
  mount: '/v2',
  add(router, http) {
    const oci = http.serve.oci;
    router.use((_req, res, next) => {
      res.setHeader('docker-distribution-api-version', 'registry/2.0');
      next();
    });
    router.get('/', async (req, res) => {
      await http.access(req, res);
      res.json({});
    });
    router.get(/^\/(.+)\/manifests\/([^/]+)$/, async (req: Request, res: Response) => {
      const access = await http.access(req, res);
      const manifest = await oci.manifest(req.params[0], req.params[1], access);
      objectHeaders(res, manifest.digest, manifest.verified);
      res.setHeader('content-type', manifest.mediaType);
      res.setHeader('content-length', manifest.bytes.length);
      res.status(200).end(req.method === 'HEAD' ? undefined : manifest.bytes);
    });
    router.get(/^\/(.+)\/blobs\/([^/]+)$/, async (req: Request, res: Response) => {
      const access = await http.access(req, res);
      const blob = await oci.blob(req.params[0], req.params[1], access);
      objectHeaders(res, blob.digest, blob.verified);
      res.setHeader('content-type', 'application/octet-stream');
      res.setHeader('accept-ranges', 'bytes');
      const range = rangeOf(req.headers.range, blob.size);
      if (range === 'unsatisfiable') {
        res.setHeader('content-range', `bytes */${blob.size}`);
        res.status(416).end();
        return;
      }
      if (range !== 'all') {
        res.status(206).setHeader('content-range', `bytes ${range.start}-${range.end}/${blob.size}`);
      }
      res.setHeader('content-length', range === 'all' ? blob.size : range.end - range.start + 1);
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const { body } = await blob.open(range === 'all' ? undefined : range);
      await sendStream(req, res, body, http.logger);
    });
    router.get(/^\/(.+)\/tags\/list$/, async (req: Request, res: Response) => {
      const access = await http.access(req, res);
      const n = Number(req.query.n);
      const last = typeof req.query.last === 'string' ? req.query.last : undefined;
      const page = await oci.tags(req.params[0], access, { n: Number.isSafeInteger(n) && n > 0 ? n : undefined, last });
      if (page.more) {
        const query = new URLSearchParams({ n: String(page.tags.length), last: page.tags[page.tags.length - 1] });
        res.setHeader('link', `</v2/${page.name}/tags/list?${query}>; rel="next"`);
      }
      res.json({ name: page.name, tags: page.tags });
    });
    router.get(/^\/(.+)\/referrers\/([^/]+)$/, async (req: Request, res: Response) => {
      const access = await http.access(req, res);
      const artifactType = typeof req.query.artifactType === 'string' ? req.query.artifactType : undefined;
      const index = await oci.referrers(req.params[0], req.params[1], access, artifactType);
      if (artifactType) res.setHeader('oci-filters-applied', 'artifactType');
      res.type('application/vnd.oci.image.index.v1+json').send(index);
    });
  },
};
