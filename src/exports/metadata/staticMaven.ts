import { createHash } from 'node:crypto';
import { CollectedArtifact } from '../../database/ExportStore';
import { artifactPath, parseMavenId } from '../../processors/maven/coordinates';
import { mavenVersionScheme } from '../../processors/maven/MavenVersionScheme';

/**
 * Where a bundle puts Maven content: `maven/<repository path>`, the
 * standard repository layout, with `.sha1` and `.md5` sidecars next to
 * every file and `maven-metadata.xml` (with its sidecars) per artifact. A
 * static server over `maven/` is a repository Maven resolves from.
 */
export const MAVEN_ROOT = 'maven';

/** The checksum sidecars Maven looks for, in the order a bundle writes them. */
export const MAVEN_SIDECARS = [
  { suffix: '.sha1', algorithm: 'sha1' },
  { suffix: '.md5', algorithm: 'md5' },
] as const;

/** Whether a stored file gets generated sidecars (not when it is one). */
export function needsMavenSidecars(path: string): boolean {
  return !/\.(sha1|md5|sha256|sha512|asc)$/.test(path);
}

const escapeXml = (text: string) =>
  text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);

/** `yyyyMMddHHmmss` in UTC, Maven's `lastUpdated`. */
function lastUpdated(iso: string): string {
  return iso.replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * `maven/<group path>/<artifactId>/maven-metadata.xml` with its sidecars,
 * over the collected versions of an artifact.
 */
export function staticMavenMetadata(
  artifact: CollectedArtifact,
  updatedAt: string,
): Array<{ path: string; content: Buffer }> {
  const coordinates = parseMavenId(artifact.id);
  const versions = artifact.versions
    .map(v => v.version)
    .sort((a, b) => mavenVersionScheme.compare(a, b));
  const releases = versions.filter(v => !v.endsWith('-SNAPSHOT'));
  const latest = versions[versions.length - 1];
  const release = releases[releases.length - 1];
  const xml = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<metadata>',
    `  <groupId>${escapeXml(coordinates.groupId)}</groupId>`,
    `  <artifactId>${escapeXml(coordinates.artifactId)}</artifactId>`,
    '  <versioning>',
    ...(latest ? [`    <latest>${escapeXml(latest)}</latest>`] : []),
    ...(release ? [`    <release>${escapeXml(release)}</release>`] : []),
    '    <versions>',
    ...versions.map(v => `      <version>${escapeXml(v)}</version>`),
    '    </versions>',
    `    <lastUpdated>${lastUpdated(updatedAt)}</lastUpdated>`,
    '  </versioning>',
    '</metadata>',
    '',
  ].join('\n');
  const content = Buffer.from(xml, 'utf8');
  const path = `${MAVEN_ROOT}/${artifactPath(coordinates)}/maven-metadata.xml`;
  return [
    { path, content },
    ...MAVEN_SIDECARS.map(({ suffix, algorithm }) => ({
      path: `${path}${suffix}`,
      content: Buffer.from(createHash(algorithm).update(content).digest('hex')),
    })),
  ];
}
