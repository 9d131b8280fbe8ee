import { Artifact } from '../types';

/**
 * Who may read what through the registry views, decided by the HTTP layer
 * from the caller's credentials and the `backpack.artifact.read`
 * permission (or open to all when the views are public). A caller denied
 * reading outright is refused before a view runs; a view answers an
 * artifact the caller may not read exactly as one that is not mirrored.
 */
export interface ServeAccess {
  /** Whether the caller may read the artifact. */
  canRead(artifact: Artifact): boolean;
}

/** Access for public views: everything may be read. */
export const publicAccess: ServeAccess = {
  canRead: () => true,
};
