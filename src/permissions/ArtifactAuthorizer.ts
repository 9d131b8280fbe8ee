import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  PolicyDecision,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  createConditionAuthorizer,
  createConditionTransformer,
  PermissionRuleset,
} from '@backstage/plugin-permission-node';
import { ArtifactFilter, ArtifactScope, RunVisibility } from '../database/artifactScope';
import {
  BACKPACK_ARTIFACT_RESOURCE_TYPE,
  backpackArtifactReadPermission,
  backpackRunReadPermission,
} from './permissions';
import { artifactNotFound } from '../artifacts/ArtifactService';
import { Artifact } from '../types';

type ArtifactPermission = ResourcePermission<
  typeof BACKPACK_ARTIFACT_RESOURCE_TYPE
>;

/**
 * What a caller may read: the scope as queries apply it, and the same
 * decision as a predicate on loaded artifacts. Both come from one decision
 * of `backpack.artifact.read`, evaluated by the rules' `toQuery` and
 * `apply` of the one ruleset.
 */
export interface ReadAccess {
  scope: ArtifactScope;
  canRead(artifact: Artifact): boolean;
}

/**
 * The one place where Backpack evaluates permission decisions. Resource
 * permissions are asked with `authorizeConditional`, and conditions are
 * evaluated here, against a loaded artifact or as a query filter, so a
 * policy's conditional decision costs no round trip to the permission
 * backend.
 *
 * An artifact the caller may not read looks exactly like a missing one
 * (the same NotFoundError), so that reads and writes never reveal whether
 * it exists; a denial outright is a NotAllowedError before anything is
 * loaded, which reveals nothing either.
 */
export class ArtifactAuthorizer {
  private readonly permissions: PermissionsService;
  private readonly findArtifact: (processor: string, id: string) => Promise<Artifact | undefined>;
  private readonly toFilter: (
    conditions: Parameters<ReturnType<typeof createConditionTransformer>>[0],
  ) => ArtifactFilter;
  private readonly isAllowed: (decision: PolicyDecision, artifact: Artifact | undefined) => boolean;

  constructor(options: {
    permissions: PermissionsService;
    ruleset: PermissionRuleset<Artifact, ArtifactFilter>;
    /** Loads an artifact by the caller's (processor, id); undefined when missing. */
    findArtifact(processor: string, id: string): Promise<Artifact | undefined>;
  }) {
    this.permissions = options.permissions;
    this.findArtifact = options.findArtifact;
    this.toFilter = createConditionTransformer(options.ruleset);
    this.isAllowed = createConditionAuthorizer(options.ruleset);
  }

  /** Throws NotAllowedError unless a basic permission is allowed. */
  async authorize(
    permission: BasicPermission,
    credentials: BackstageCredentials,
  ): Promise<void> {
    if (!(await this.allows(permission, credentials))) {
      throw new NotAllowedError(`Not allowed: ${permission.name}`);
    }
  }

  /** Whether a basic permission is allowed. */
  async allows(
    permission: BasicPermission,
    credentials: BackstageCredentials,
  ): Promise<boolean> {
    const [decision] = await this.permissions.authorize([{ permission }], {
      credentials,
    });
    return decision.result === AuthorizeResult.ALLOW;
  }

  /** What the caller may read; never throws for a denial (the scope is then `none`). */
  async readAccess(credentials: BackstageCredentials): Promise<ReadAccess> {
    const [decision] = await this.permissions.authorizeConditional(
      [{ permission: backpackArtifactReadPermission }],
      { credentials },
    );
    return {
      scope: this.scopeOf(decision),
      canRead: artifact => this.isAllowed(decision, artifact),
    };
  }

  /**
   * Which runs the caller may see: full runs with `backpack.run.read`, runs
   * scoped to an artifact it may read.
   */
  async runVisibility(credentials: BackstageCredentials): Promise<RunVisibility> {
    const [{ scope }, fullRuns] = await Promise.all([
      this.readAccess(credentials),
      this.allows(backpackRunReadPermission, credentials),
    ]);
    return { fullRuns, scoped: scope };
  }

  /**
   * The artifact, if the caller may read it and is allowed `permission` on
   * it. Read denied outright: NotAllowedError, before loading. Missing or
   * not readable: the NotFoundError of a missing artifact. Readable but
   * `permission` not allowed on it: NotAllowedError.
   */
  async authorizeArtifact(
    permission: ArtifactPermission,
    credentials: BackstageCredentials,
    key: { processor: string; id: string },
  ): Promise<Artifact> {
    const asked =
      permission.name === backpackArtifactReadPermission.name
        ? [backpackArtifactReadPermission]
        : [backpackArtifactReadPermission, permission];
    const [read, decision = read] = await this.permissions.authorizeConditional(
      asked.map(p => ({ permission: p })),
      { credentials },
    );
    if (read.result === AuthorizeResult.DENY) {
      throw new NotAllowedError(`Not allowed: ${backpackArtifactReadPermission.name}`);
    }
    const artifact = await this.findArtifact(key.processor, key.id);
    if (!artifact || !this.isAllowed(read, artifact)) {
      throw artifactNotFound(key.processor, key.id);
    }
    if (!this.isAllowed(decision, artifact)) {
      throw new NotAllowedError(
        `Not allowed: ${permission.name} on ${artifact.processor}:${artifact.id}`,
      );
    }
    return artifact;
  }

  /**
   * Throws unless the caller may read the artifact, for reads that look the
   * artifact up themselves and answer a missing one with the same
   * NotFoundError (its versions, its files). The artifact is loaded only
   * when the decision is conditional, since only then does it depend on it.
   */
  async authorizeRead(credentials: BackstageCredentials, key: { processor: string; id: string }): Promise<void> {
    const [read] = await this.permissions.authorizeConditional([{ permission: backpackArtifactReadPermission }], {
      credentials,
    });
    if (read.result === AuthorizeResult.DENY) {
      throw new NotAllowedError(`Not allowed: ${backpackArtifactReadPermission.name}`);
    }
    if (read.result === AuthorizeResult.ALLOW) return;
    const artifact = await this.findArtifact(key.processor, key.id);
    if (!artifact || !this.isAllowed(read, artifact)) throw artifactNotFound(key.processor, key.id);
  }

  /**
   * The query filter a list of artifacts must apply: undefined when
   * reading is allowed outright, the translated conditions when
   * conditional; throws NotAllowedError when denied.
   */
  async listFilter(credentials: BackstageCredentials): Promise<ArtifactFilter | undefined> {
    const { scope } = await this.readAccess(credentials);
    if (scope.type === 'none') {
      throw new NotAllowedError(`Not allowed: ${backpackArtifactReadPermission.name}`);
    }
    return scope.type === 'some' ? scope.filter : undefined;
  }

  /**
   * The query filter of a bulk action with `permission` on artifacts: those
   * the caller may both read and act on (undefined when both are allowed
   * outright); NotAllowedError when either is denied outright.
   */
  async bulkFilter(
    permission: ArtifactPermission,
    credentials: BackstageCredentials,
  ): Promise<ArtifactFilter | undefined> {
    const decisions = await this.permissions.authorizeConditional(
      [{ permission: backpackArtifactReadPermission }, { permission }],
      { credentials },
    );
    const filters: ArtifactFilter[] = [];
    for (const [index, decision] of decisions.entries()) {
      const scope = this.scopeOf(decision);
      if (scope.type === 'none') {
        const name = index === 0 ? backpackArtifactReadPermission.name : permission.name;
        throw new NotAllowedError(`Not allowed: ${name}`);
      }
      if (scope.type === 'some') filters.push(scope.filter);
    }
    if (filters.length === 0) return undefined;
    return filters.length === 1 ? filters[0] : { allOf: filters };
  }

  private scopeOf(decision: PolicyDecision): ArtifactScope {
    if (decision.result === AuthorizeResult.ALLOW) return { type: 'all' };
    if (decision.result === AuthorizeResult.CONDITIONAL) {
      return { type: 'some', filter: this.toFilter(decision.conditions) };
    }
    return { type: 'none' };
  }
}
