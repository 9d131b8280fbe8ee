import {
  coreServices,
  createServiceFactory,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult, PolicyDecision } from '@backstage/plugin-permission-common';
import {
  backpackArtifactConditions as conditions,
  createBackpackArtifactConditionalDecision as conditional,
} from '../permissions';

export const ALLOW: PolicyDecision = { result: AuthorizeResult.ALLOW };
export const DENY: PolicyDecision = { result: AuthorizeResult.DENY };

type ArtifactPermission = Parameters<typeof conditional>[0];

/** A decision on an artifact permission that holds for root artifacts only. */
export const rootsOnly = (permission: ArtifactPermission) =>
  conditional(permission, conditions.isRoot({ root: true }));

/** A decision on an artifact permission that holds for the artifacts of these processors only. */
export const processorsOnly = (permission: ArtifactPermission, processors: string[]) =>
  conditional(permission, conditions.hasProcessor({ processors }));

/**
 * A permission service whose policy is the given function of the
 * permission's name, as a policy module would answer: basic permissions
 * get ALLOW or DENY, resource permissions may get a conditional decision.
 */
export function policyPermissions(
  policy: (permissionName: string) => PolicyDecision,
): PermissionsService {
  return {
    async authorize(requests) {
      return requests.map(r => ({
        result:
          policy(r.permission.name).result === AuthorizeResult.ALLOW
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      }));
    },
    async authorizeConditional(requests) {
      return requests.map(r => policy(r.permission.name));
    },
  };
}

/** {@link policyPermissions} as the plugin's permissions service, for a test backend. */
export function permissionsWithPolicy(policy: (permissionName: string) => PolicyDecision) {
  return createServiceFactory({
    service: coreServices.permissions,
    deps: {},
    factory: (): PermissionsService => policyPermissions(policy),
  });
}
