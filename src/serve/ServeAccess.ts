import { Artifact } from '../types';

/**
 * Who may read what through the registry views, decided by the HTTP layer
 * from the caller's credentials and the `backpack.artifact.read`
 * permission (or open to all when the views are public).
 */
export interface ServeAccess {
  /** Throws NotAllowedError unless the caller may read the artifact. */
  check(artifact: Artifact): Promise<void>;
  /** A predicate for lists; throws NotAllowedError when reading is denied outright. */
  filter(): Promise<(artifact: Artifact) => boolean>;
}

/** Access for public views: everything may be read. */
export const publicAccess: ServeAccess = {
  check: async () => {},
  filter: async () => () => true,
};
