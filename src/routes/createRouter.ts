import { PermissionsRegistryService, PermissionsService } from '@backstage/backend-plugin-api';
import { PermissionRuleset } from '@backstage/plugin-permission-node';
import express from 'express';
import Router from 'express-promise-router';
import { ArtifactFilter } from '../database/artifactScope';
import { backpackArtifactResourceRef } from '../permissions/resource';
import { backpackArtifactRules } from '../permissions/rules';
import { ServeViews } from '../views/ServeViews';
import { Artifact } from '../types';
import { addApprovalRoutes } from './approvalRoutes';
import { addArtifactRoutes } from './artifactRoutes';
import { ArtifactAuthorizer } from '../permissions/ArtifactAuthorizer';
import { addCollectionRoutes } from './collectionRoutes';
import { addExportRoutes } from './exportRoutes';
import { jsonBody, JsonBodySettings, readJsonBodySettings } from './jsonBody';
import { addProcessorRoutes } from './processorRoutes';
import { RouteContext } from './RouteContext';
import { addRunRoutes } from './runRoutes';
import { addServeRoutes, createRootServeRoutes } from './viewRoutes';

/**
 * Dependencies of {@link createRouter}: what the route handlers share (their
 * authorizer is made here, from `permissions`), and what only the router
 * needs.
 */
export interface RouterOptions extends Omit<RouteContext, 'authorizer'> {
  permissions: PermissionsService;
  /** The registry views native clients install from. */
  serve: ServeViews;
  /**
   * Where the `backpack-artifact` rules were registered (see
   * `registerBackpackPermissions`); rules added by modules then apply too.
   * Without it only the built-in rules are known.
   */
  permissionsRegistry?: PermissionsRegistryService;
  /** Bounds of JSON bodies (`backpack.api`); the defaults of config.d.ts without it. */
  jsonBody?: JsonBodySettings;
}

// The built-in rules as a ruleset, for when no registry is given.
const builtInRuleset: PermissionRuleset<Artifact, ArtifactFilter> = {
  getRuleByName(name) {
    const rule = Object.values(backpackArtifactRules).find(r => r.name === name);
    if (!rule) {
      throw new Error(`Unknown backpack-artifact permission rule '${name}'`);
    }
    return rule as ReturnType<
      PermissionRuleset<Artifact, ArtifactFilter>['getRuleByName']
    >;
  },
};

/**
 * The REST API of Backpack, mounted by the plugin at /api/backpack. Handlers
 * parse, authorize, call a service and audit writes; errors are thrown as
 * @backstage/errors classes and mapped by the root router.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const ctx = { ...options, authorizer: authorizerOf(options) };

  const router = Router();
  router.use(jsonBody(options.jsonBody ?? readJsonBodySettings()));

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  addArtifactRoutes(router, ctx);
  addApprovalRoutes(router, ctx);
  addRunRoutes(router, ctx);
  addCollectionRoutes(router, ctx);
  addExportRoutes(router, ctx);
  addProcessorRoutes(router, ctx);
  addServeRoutes(router, ctx);

  return router;
}

/** The one place permission decisions are evaluated, over the configured ruleset. */
function authorizerOf(
  options: Pick<RouterOptions, 'permissions' | 'permissionsRegistry' | 'artifacts'>,
): ArtifactAuthorizer {
  return new ArtifactAuthorizer({
    permissions: options.permissions,
    ruleset: options.permissionsRegistry
      ? options.permissionsRegistry.getPermissionRuleset(backpackArtifactResourceRef)
      : builtInRuleset,
    findArtifact: (processor, id) => options.artifacts.find(processor, id),
  });
}

/**
 * The registry views at the backend's origin (OCI's `/v2`), as routers for
 * the root HTTP router, under the same access rules as the plugin's views.
 */
export function createRootRoutes(
  options: Pick<RouterOptions, 'logger' | 'httpAuth' | 'permissions' | 'permissionsRegistry' | 'artifacts' | 'serve'>,
): Array<{ path: string; router: express.Router }> {
  return createRootServeRoutes({ ...options, authorizer: authorizerOf(options) });
}
