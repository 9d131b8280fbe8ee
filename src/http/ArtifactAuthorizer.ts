import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  createConditionAuthorizer,
  createConditionTransformer,
  PermissionRuleset,
} from '@backstage/plugin-permission-node';
import { ArtifactFilter } from '../database/BackpackStore';
import { BACKPACK_ARTIFACT_RESOURCE_TYPE } from '../permissions/permissions';
import { Artifact } from '../types';

type ArtifactPermission = ResourcePermission<
  typeof BACKPACK_ARTIFACT_RESOURCE_TYPE
>;

/**
 * Permission checks of the HTTP layer. Resource permissions are asked with
 * `authorizeConditional` and conditions are evaluated here, against the
 * loaded artifact or as a query filter, so a policy's conditional decision
 * costs no round trip to the permission backend.
 */
export class ArtifactAuthorizer {
  private readonly permissions: PermissionsService;
  private readonly toFilter: (
    conditions: Parameters<ReturnType<typeof createConditionTransformer>>[0],
  ) => ArtifactFilter;
  private readonly isAllowed: ReturnType<
    typeof createConditionAuthorizer<Artifact, ArtifactFilter>
  >;

  constructor(options: {
    permissions: PermissionsService;
    ruleset: PermissionRuleset<Artifact, ArtifactFilter>;
  }) {
    this.permissions = options.permissions;
    this.toFilter = createConditionTransformer(options.ruleset);
    this.isAllowed = createConditionAuthorizer(options.ruleset);
  }

  /** Throws NotAllowedError unless a basic permission is allowed. */
  async authorize(
    permission: BasicPermission,
    credentials: BackstageCredentials,
  ): Promise<void> {
    const [decision] = await this.permissions.authorize([{ permission }], {
      credentials,
    });
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(`Not allowed: ${permission.name}`);
    }
  }

  /**
   * Loads an artifact and returns it if the permission is allowed on it;
   * throws NotAllowedError otherwise. A definite denial is answered before
   * loading, so it does not reveal whether the artifact exists.
   */
  async authorizeArtifact<T extends Artifact>(
    permission: ArtifactPermission,
    credentials: BackstageCredentials,
    load: () => Promise<T>,
  ): Promise<T> {
    const [decision] = await this.permissions.authorizeConditional(
      [{ permission }],
      { credentials },
    );
    if (decision.result === AuthorizeResult.DENY) {
      throw new NotAllowedError(`Not allowed: ${permission.name}`);
    }
    const artifact = await load();
    if (!this.isAllowed(decision, artifact)) {
      throw new NotAllowedError(
        `Not allowed: ${permission.name} on ${artifact.processor}:${artifact.id}`,
      );
    }
    return artifact;
  }

  /**
   * The query filter a list must apply for this permission: undefined when
   * allowed outright, the translated conditions when conditional; throws
   * NotAllowedError when denied.
   */
  async listFilter(
    permission: ArtifactPermission,
    credentials: BackstageCredentials,
  ): Promise<ArtifactFilter | undefined> {
    const [decision] = await this.permissions.authorizeConditional(
      [{ permission }],
      { credentials },
    );
    if (decision.result === AuthorizeResult.ALLOW) return undefined;
    if (decision.result === AuthorizeResult.CONDITIONAL) {
      return this.toFilter(decision.conditions);
    }
    throw new NotAllowedError(`Not allowed: ${permission.name}`);
  }
}
