import { HttpAuthService, LoggerService } from '@backstage/backend-plugin-api';
import express, { Request, Response } from 'express';
import { PYPI_SIMPLE_HTML, PYPI_SIMPLE_JSON } from '../views/metadata/pypiSimple';
import { PypiSimpleFormat } from '../views/pypiView';
import { ServedDocument, ServedFile } from '../views/ServedContent';
import { ServeViews } from '../views/ServeViews';
import { ArtifactAuthorizer } from '../permissions/ArtifactAuthorizer';
import { sendStream } from './sendStream';
import { viewAccessFor } from './viewAccess';
import { rejectImpossibleViewPaths } from './viewPaths';

/** Path prefixes of the registry views, which authenticate themselves (see viewAccess.ts). */
export const SERVE_PATHS = ['/npm', '/pypi', '/maven'];

/** What the serve routes need from the router. */
export interface ServeRouteContext {
  logger: LoggerService;
  httpAuth: HttpAuthService;
  authorizer: ArtifactAuthorizer;
  serve: ServeViews;
}

function sendDocument(res: Response, document: ServedDocument): void {
  res.type(document.contentType).send(document.body);
}

async function sendFile(
  req: Request,
  res: Response,
  file: ServedFile,
  logger: LoggerService,
): Promise<void> {
  res.type(file.contentType);
  // Whether the bytes were checked against a digest the upstream declared.
  res.setHeader('x-backpack-verified', String(file.verified));
  if (req.method === 'HEAD') {
    res.setHeader('content-length', await file.size());
    res.end();
    return;
  }
  const { body, size } = await file.open();
  res.setHeader('content-length', size);
  await sendStream(req, res, body, logger);
}

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
 * The registry views native clients install from: npm at `/npm`, a PyPI
 * simple index at `/pypi/simple` with files at
 * `/pypi/packages/<project>/<version>/<file>`, and a Maven
 * repository at `/maven`. Read-only; only collected files are served.
 */
export function addServeRoutes(router: express.Router, ctx: ServeRouteContext): void {
  const { serve } = ctx;
  router.use(SERVE_PATHS, rejectImpossibleViewPaths);
  const access = (req: Request, res: Response) =>
    viewAccessFor(req, {
      httpAuth: ctx.httpAuth,
      authorizer: ctx.authorizer,
      isPublic: serve.public,
      // pip and Maven send basic credentials once challenged.
      onUnauthenticated: () => res.setHeader('WWW-Authenticate', 'Basic realm="Backpack"'),
    });

  // npm: scoped names arrive as `@scope%2fname` (one segment, decoded by
  // express) or as `@scope/name`.
  const packument = async (req: Request, res: Response, name: string) => {
    sendDocument(res, await serve.npm.packument(name, await access(req, res)));
  };
  // Tarballs are at `<name>/-/<version>/<file>`; `<name>/-/<file>`, the
  // URL of earlier packuments, answers only where it is unambiguous.
  const tarball = async (
    req: Request,
    res: Response,
    name: string,
    file: string,
    version?: string,
  ) => {
    const served =
      version === undefined
        ? await serve.npm.tarballByName(name, file, await access(req, res))
        : await serve.npm.tarball(name, version, file, await access(req, res));
    await sendFile(req, res, served, ctx.logger);
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
  router.get('/npm/:name/-/:file', (req, res) =>
    tarball(req, res, req.params.name, req.params.file),
  );
  router.get('/npm/:name', (req, res) => packument(req, res, req.params.name));

  // PyPI: PEP 503 pages end in a slash, and their links are relative to it.
  router.get('/pypi/simple', async (req, res) => {
    if (!req.path.endsWith('/')) {
      res.redirect(301, `${req.baseUrl}/pypi/simple/`);
      return;
    }
    res.vary('Accept');
    sendDocument(res, await serve.pypi.index(simpleFormat(req), await access(req, res)));
  });
  router.get('/pypi/simple/:project', async (req, res) => {
    const canonical = serve.pypi.canonicalName(req.params.project);
    if (canonical !== req.params.project || !req.path.endsWith('/')) {
      res.redirect(301, `${req.baseUrl}/pypi/simple/${encodeURIComponent(canonical)}/`);
      return;
    }
    res.vary('Accept');
    sendDocument(
      res,
      await serve.pypi.project(canonical, simpleFormat(req), await access(req, res)),
    );
  });
  // Files are named with their project and version: two projects may list
  // files of the same name.
  router.get('/pypi/packages/:project/:version/:file', async (req, res) => {
    const { project, version, file } = req.params;
    await sendFile(
      req,
      res,
      await serve.pypi.file(project, version, file, await access(req, res)),
      ctx.logger,
    );
  });

  // Maven: everything is a repository path.
  router.get('/maven/:path(*)', async (req, res) => {
    const content = await serve.maven.get(req.params.path, await access(req, res));
    if (content.kind === 'document') sendDocument(res, content);
    else await sendFile(req, res, content, ctx.logger);
  });
}
