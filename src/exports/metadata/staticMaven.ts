import { CollectedArtifact } from '../../database/ExportStore';
import { artifactPath, parseMavenId } from '../../processors/maven/coordinates';
import {
  createMavenMetadataXml,
  mavenChecksum,
} from '../../views/metadata/mavenMetadata';

/**
 * Where a bundle puts Maven content: `maven/<repository path>`, the
 * standard repository layout, with `.sha1` and `.md5` sidecars next to
 * every file and `maven-metadata.xml` (with its sidecars) per artifact. A
 * static server over `maven/` is a repository Maven resolves from.
 */
export const MAVEN_ROOT = 'maven';

/** The checksum sidecars a bundle writes after each Maven file. */
export const MAVEN_SIDECARS = [
  { suffix: '.sha1', algorithm: 'sha1' },
  { suffix: '.md5', algorithm: 'md5' },
] as const;

/** Bundle path of a file of one version: `maven/<group path>/<artifactId>/<version>/<file>`. */
export function mavenFilePath(id: string, version: string, file: string): string {
  return `${MAVEN_ROOT}/${artifactPath(parseMavenId(id))}/${version}/${file}`;
}

/** Whether a stored file gets generated sidecars (not when it is one). */
export function needsMavenSidecars(path: string): boolean {
  return !/\.(sha1|md5|sha256|sha512|asc)$/.test(path);
}

/**
 * `maven/<group path>/<artifactId>/maven-metadata.xml` with its sidecars,
 * over the collected versions of an artifact.
 */
export function bundleMavenMetadata(
  artifact: CollectedArtifact,
  updatedAt: string,
): Array<{ path: string; content: Buffer }> {
  const coordinates = parseMavenId(artifact.id);
  const content = Buffer.from(
    createMavenMetadataXml({
      ...coordinates,
      versions: artifact.versions.map(v => v.version),
      lastUpdated: updatedAt,
    }),
  );
  const path = `${MAVEN_ROOT}/${artifactPath(coordinates)}/maven-metadata.xml`;
  return [
    { path, content },
    ...MAVEN_SIDECARS.map(({ suffix, algorithm }) => ({
      path: `${path}${suffix}`,
      content: Buffer.from(mavenChecksum(content, algorithm)),
    })),
  ];
}
