import { createHash } from 'node:crypto';
import { XMLBuilder } from 'fast-xml-parser';
import { mavenVersionScheme } from '../../processors/maven/MavenVersionScheme';

/** What {@link createMavenMetadataXml} takes. */
export interface MavenMetadataInput {
  groupId: string;
  artifactId: string;
  /** The mirrored versions, in any order. */
  versions: string[];
  /**
   * When the metadata last changed, e.g. the last collection among the
   * versions. Derive it from stored data so that the document and its
   * checksums stay the same between requests.
   */
  lastUpdated: Date | string;
}

/** Algorithms Maven clients ask checksum sidecars for. */
export type MavenChecksumAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512';

/** Sidecar suffixes and their algorithms. */
export const MAVEN_CHECKSUM_SUFFIXES: Record<string, MavenChecksumAlgorithm> = {
  '.md5': 'md5',
  '.sha1': 'sha1',
  '.sha256': 'sha256',
  '.sha512': 'sha512',
};

const builder = new XMLBuilder({
  format: true,
  indentBy: '  ',
  ignoreAttributes: false,
});

/** `yyyyMMddHHmmss` in UTC, the format of `<lastUpdated>`. */
function timestamp(value: Date | string): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  return date
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[-:T]/g, '');
}

/**
 * The artifact-level `maven-metadata.xml` over the given versions: sorted
 * in Maven's order, `latest` the highest, `release` the highest that is not
 * a snapshot. Pure: no I/O.
 */
export function createMavenMetadataXml(input: MavenMetadataInput): string {
  const versions = [...new Set(input.versions)].sort(mavenVersionScheme.compare);
  const releases = versions.filter(v => !v.endsWith('-SNAPSHOT'));
  const versioning: Record<string, unknown> = {};
  if (versions.length) versioning.latest = versions[versions.length - 1];
  if (releases.length) versioning.release = releases[releases.length - 1];
  versioning.versions = { version: versions };
  versioning.lastUpdated = timestamp(input.lastUpdated);
  return builder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    metadata: {
      groupId: input.groupId,
      artifactId: input.artifactId,
      versioning,
    },
  });
}

/** The content of a checksum sidecar: the lower-case hex digest. */
export function mavenChecksum(
  body: string | Buffer,
  algorithm: MavenChecksumAlgorithm,
): string {
  return createHash(algorithm).update(body).digest('hex');
}
