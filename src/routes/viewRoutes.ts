import express from 'express';
import { mavenViewRoutes } from './views/mavenViewRoutes';
import { npmViewRoutes } from './views/npmViewRoutes';
import { pypiViewRoutes } from './views/pypiViewRoutes';
import { createViewHttp, ViewRouteContext, ViewRoutes } from './views/viewHttp';
import { rejectImpossibleViewPaths } from './viewPaths';

/** The registry views, one entry per ecosystem that native clients install from. */
const VIEW_ROUTES: ViewRoutes[] = [npmViewRoutes, pypiViewRoutes, mavenViewRoutes];

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
