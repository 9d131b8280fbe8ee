import express from 'express';
import Router from 'express-promise-router';
import { cargoViewRoutes } from './views/cargoViewRoutes';
import { goViewRoutes } from './views/goViewRoutes';
import { composerViewRoutes } from './views/composerViewRoutes';
import { helmViewRoutes } from './views/helmViewRoutes';
import { filesViewRoutes } from './views/filesViewRoutes';
import { huggingfaceViewRoutes } from './views/huggingfaceViewRoutes';
import { mavenViewRoutes } from './views/mavenViewRoutes';
import { npmViewRoutes } from './views/npmViewRoutes';
import { nugetViewRoutes } from './views/nugetViewRoutes';
import { ociViewRoutes } from './views/ociViewRoutes';
import { pypiViewRoutes } from './views/pypiViewRoutes';
import { terraformViewRoutes } from './views/terraformViewRoutes';
import { createViewHttp, RootViewRoutes, ViewRouteContext, ViewRoutes } from './views/viewHttp';
import { rejectImpossibleViewPaths } from './viewPaths';

/** The registry views, one entry per ecosystem that native clients install from. */
const VIEW_ROUTES: ViewRoutes[] = [
  npmViewRoutes,
  pypiViewRoutes,
  mavenViewRoutes,
  nugetViewRoutes,
  cargoViewRoutes,
  goViewRoutes,
  composerViewRoutes,
  helmViewRoutes,
  filesViewRoutes,
  terraformViewRoutes,
  huggingfaceViewRoutes,
];

/** The registry views clients look for at the backend's origin, each on the root router. */
const ROOT_VIEW_ROUTES: RootViewRoutes[] = [ociViewRoutes];

/** Path prefixes of the registry views, which authenticate themselves (see viewAccess.ts). */
export const SERVE_PATHS = VIEW_ROUTES.flatMap(view => view.paths);

export type { ViewRouteContext as ServeRouteContext } from './views/viewHttp';

/**
 * The registry views native clients install from, read-only: only
 * collected files are served, to callers who may read their artifact.
 */
export function addServeRoutes(router: express.Router, ctx: ViewRouteContext): void {
  router.use(SERVE_PATHS, rejectImpossibleViewPaths);
  const http = createViewHttp(ctx);
  for (const view of VIEW_ROUTES) view.add(router, http);
}

/**
 * The registry views that live at the backend's origin (`/v2` for OCI
 * clients), each a router for the root router to mount at its path; they
 * authenticate callers as the other views do.
 */
export function createRootServeRoutes(ctx: ViewRouteContext): Array<{ path: string; router: express.Router }> {
  const http = createViewHttp(ctx);
  return ROOT_VIEW_ROUTES.map(view => {
    const router = Router();
    router.use(rejectImpossibleViewPaths);
    view.add(router, http);
    return { path: view.mount, router };
  });
}
