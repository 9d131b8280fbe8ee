import {
  BackstageCredentials,
  BackstageServicePrincipal,
  BackstageUserPrincipal,
  HttpAuthService,
} from '@backstage/backend-plugin-api';
import { Request } from 'express';

/** Credentials of a caller: a user, or a service such as a script with a static token. */
export type CallerCredentials = BackstageCredentials<
  BackstageUserPrincipal | BackstageServicePrincipal
>;

/**
 * The caller's credentials. Users and service principals are both accepted:
 * scripts and CI call this API with static tokens.
 */
export function callerCredentials(
  httpAuth: HttpAuthService,
  req: Request,
): Promise<CallerCredentials> {
  return httpAuth.credentials(req, { allow: ['user', 'service'] });
}

/**
 * Who made a request, for `createdBy` and `requestedBy`: the user's entity
 * ref, or the subject of a service principal (e.g. `external:ci-script`).
 */
export function principalRef(credentials: CallerCredentials): string {
  const principal = credentials.principal;
  return principal.type === 'user' ? principal.userEntityRef : principal.subject;
}
