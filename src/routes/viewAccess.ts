import { HttpAuthService } from '@backstage/backend-plugin-api';
import { Request } from 'express';
import { NotAllowedError } from '@backstage/errors';
import { backpackArtifactReadPermission } from '../permissions/permissions';
import { publicAccess, ServeAccess } from '../views/ServeAccess';
import { ArtifactAuthorizer } from '../permissions/ArtifactAuthorizer';
import { callerCredentials } from './credentials';

/**
 * Native clients send what their config holds: npm a bearer token, pip
 * and Maven basic auth (`https://user:token@host/…`, `<server>` in
 * settings.xml). The password of basic auth (or the user name when the
 * password is empty) is taken as the Backstage token.
 */
function basicToBearer(req: Request): void {
  const header = req.headers.authorization;
  const match = header ? /^basic\s+(\S+)$/i.exec(header) : null;
  if (!match) return;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon === -1 ? decoded : decoded.slice(0, colon);
  const password = colon === -1 ? '' : decoded.slice(colon + 1);
  const token = password || user;
  if (token) req.headers.authorization = `Bearer ${token}`;
}

/**
 * The access of the caller of a registry view. Unless the views are public
 * the caller must present Backstage credentials (a user token or a static
 * service token), and reading an artifact needs `backpack.artifact.read`:
 * denied outright, the view is refused (403) before it loads anything;
 * conditionally, each artifact is checked and one that fails looks like one
 * that is not mirrored (404).
 *
 * The serve paths are exempt from the router's credentials barrier (see
 * plugin.ts) because the barrier only understands bearer tokens; this
 * authenticates them instead, after translating basic auth.
 */
export async function viewAccessFor(
  req: Request,
  options: {
    httpAuth: HttpAuthService;
    authorizer: ArtifactAuthorizer;
    isPublic: boolean;
    /** Called before an authentication failure is thrown, e.g. to add a challenge header. */
    onUnauthenticated?: () => void;
  },
): Promise<ServeAccess> {
  if (options.isPublic) return publicAccess;
  basicToBearer(req);
  let credentials;
  try {
    credentials = await callerCredentials(options.httpAuth, req);
  } catch (error) {
    options.onUnauthenticated?.();
    throw error;
  }
  const access = await options.authorizer.readAccess(credentials);
  if (access.scope.type === 'none') {
    throw new NotAllowedError(`Not allowed: ${backpackArtifactReadPermission.name}`);
  }
  return { canRead: artifact => access.canRead(artifact) };
}
