import { InputError } from '@backstage/errors';

/** A Maven project's `groupId:artifactId`. */
export interface MavenCoordinates {
  groupId: string;
  artifactId: string;
}

const PART = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Parses `groupId:artifactId`; an InputError naming `id` otherwise. */
export function parseMavenId(id: string): MavenCoordinates {
  const parts = id.trim().split(':');
  if (parts.length !== 2 || !parts.every(part => PART.test(part))) {
    throw new InputError(`id: '${id}' is not a Maven groupId:artifactId`);
  }
  return { groupId: parts[0], artifactId: parts[1] };
}

/** Whether both parts look like Maven identifiers (no path or property syntax). */
export function isValidMavenCoordinates({ groupId, artifactId }: MavenCoordinates): boolean {
  return PART.test(groupId) && PART.test(artifactId);
}

/** `org.slf4j:slf4j-api` → `org/slf4j/slf4j-api`, the artifact's folder in a repository. */
export function artifactPath({ groupId, artifactId }: MavenCoordinates): string {
  return `${groupId.replace(/\./g, '/')}/${artifactId}`;
}

/** Repository path of a file of a version: `group/path/artifactId/version/artifactId-version[-classifier].ext`. */
export function artifactFilePath(
  coordinates: MavenCoordinates,
  version: string,
  extension: string,
  classifier?: string,
): string {
  const suffix = classifier ? `-${classifier}` : '';
  return `${artifactPath(coordinates)}/${version}/${coordinates.artifactId}-${version}${suffix}.${extension}`;
}
