import semver from 'semver';
import { FileIntegrity } from '../../types';

/** A dependency as stored, used when a version's package.json is not at hand. */
export interface NpmDeclaredDependency {
  name: string;
  range: string;
  kind: 'runtime' | 'peer' | 'optional';
}

/** One mirrored version of a package, as {@link createNpmPackument} takes it. */
export interface NpmPackumentVersion {
  version: string;
  /**
   * The package.json published in the version's tarball (see
   * `readNpmTarballManifest`). Every field is served as is except the ones
   * the registry owns (`_…`, `dist`, `name`, `version`).
   */
  manifest?: Record<string, unknown>;
  /** Dependencies to serve when `manifest` is absent. */
  dependencies?: NpmDeclaredDependency[];
  /** Absolute URL the client downloads the tarball from. */
  tarball: string;
  /** Known digests of the tarball's bytes (upstream's and the mirror's own). */
  digests: FileIntegrity[];
  publishedAt?: string;
}

/** What {@link createNpmPackument} takes. */
export interface NpmPackumentInput {
  name: string;
  versions: NpmPackumentVersion[];
  /** The upstream's dist-tags; kept where they name a mirrored version. */
  upstreamTags?: Record<string, string>;
}

/** The `dist` object of a version. */
export interface NpmDist {
  tarball: string;
  integrity?: string;
  shasum?: string;
}

/** A packument (the registry document of a package) as served. */
export interface NpmPackument {
  _id: string;
  name: string;
  'dist-tags': Record<string, string>;
  versions: Record<string, Record<string, unknown> & { dist: NpmDist }>;
  time?: Record<string, string>;
}

/**
 * The digests a packument can state for a collected tarball: the
 * upstream's, and the sha256 of the collected bytes when that is another
 * algorithm.
 */
export function collectedTarballDigests(file: {
  integrity?: FileIntegrity;
  sha256?: string;
}): FileIntegrity[] {
  const digests: FileIntegrity[] = [];
  if (file.integrity) digests.push(file.integrity);
  if (file.sha256 && file.integrity?.algorithm !== 'sha256') {
    digests.push({ algorithm: 'sha256', digest: file.sha256 });
  }
  return digests;
}

const SRI_ORDER: FileIntegrity['algorithm'][] = ['sha512', 'sha384', 'sha256'];

/**
 * `dist.integrity` (Subresource Integrity of the strongest SHA-2 digest, as
 * base64) and `dist.shasum` (hex sha1) from hex digests.
 */
export function npmDistDigests(digests: FileIntegrity[]): {
  integrity?: string;
  shasum?: string;
} {
  const result: { integrity?: string; shasum?: string } = {};
  for (const algorithm of SRI_ORDER) {
    const digest = digests.find(d => d.algorithm === algorithm)?.digest;
    if (digest) {
      result.integrity = `${algorithm}-${Buffer.from(digest, 'hex').toString('base64')}`;
      break;
    }
  }
  const sha1 = digests.find(d => d.algorithm === 'sha1')?.digest;
  if (sha1) result.shasum = sha1;
  return result;
}

/**
 * dist-tags over the mirrored versions: the upstream's tags that name a
 * mirrored version, and `latest` as the upstream's latest when mirrored,
 * otherwise the highest mirrored release (the highest pre-release when
 * there is no release). npm installs `latest` for a bare name, so it must
 * name a version the mirror has.
 */
export function npmDistTags(
  versions: string[],
  upstreamTags: Record<string, string> = {},
): Record<string, string> {
  const mirrored = new Set(versions);
  const tags: Record<string, string> = {};
  for (const [tag, version] of Object.entries(upstreamTags)) {
    if (typeof version === 'string' && mirrored.has(version)) tags[tag] = version;
  }
  if (!tags.latest) {
    const valid = versions.filter(v => semver.valid(v));
    const releases = valid.filter(v => !semver.prerelease(v));
    const highest = semver.rsort(releases.length ? releases : valid)[0];
    if (highest) tags.latest = highest;
  }
  return tags;
}

function manifestFromDependencies(
  dependencies: NpmDeclaredDependency[] = [],
): Record<string, unknown> {
  const fields: Record<string, Record<string, string>> = {};
  const add = (field: string, name: string, range: string) => {
    fields[field] = { ...fields[field], [name]: range };
  };
  for (const dependency of dependencies) {
    if (dependency.kind === 'peer') {
      add('peerDependencies', dependency.name, dependency.range);
    } else {
      // Publishing copies optionalDependencies into dependencies too.
      add('dependencies', dependency.name, dependency.range);
      if (dependency.kind === 'optional') {
        add('optionalDependencies', dependency.name, dependency.range);
      }
    }
  }
  return fields;
}

/** Whether a package.json field is the registry's to set, not the publisher's. */
const isRegistryField = (field: string) =>
  field.startsWith('_') || field === 'dist' || field === 'name' || field === 'version';

/**
 * Builds the packument of a package from its mirrored versions only: each
 * version's manifest with `dist` pointing at the given tarball URL and
 * carrying the stored digests, dist-tags recomputed over the mirrored
 * versions, and publish times when known. Pure: no I/O.
 */
export function createNpmPackument(input: NpmPackumentInput): NpmPackument {
  const versions: NpmPackument['versions'] = {};
  const time: Record<string, string> = {};
  const ordered = [...input.versions].sort((a, b) =>
    semver.valid(a.version) && semver.valid(b.version)
      ? semver.compare(a.version, b.version)
      : a.version.localeCompare(b.version),
  );
  for (const entry of ordered) {
    const published = entry.manifest
      ? Object.fromEntries(
          Object.entries(entry.manifest).filter(([field]) => !isRegistryField(field)),
        )
      : manifestFromDependencies(entry.dependencies);
    versions[entry.version] = {
      ...published,
      name: input.name,
      version: entry.version,
      _id: `${input.name}@${entry.version}`,
      dist: { tarball: entry.tarball, ...npmDistDigests(entry.digests) },
    };
    if (entry.publishedAt) time[entry.version] = entry.publishedAt;
  }
  const packument: NpmPackument = {
    _id: input.name,
    name: input.name,
    'dist-tags': npmDistTags(Object.keys(versions), input.upstreamTags),
    versions,
  };
  const times = Object.values(time).sort();
  if (times.length) {
    packument.time = { created: times[0], modified: times[times.length - 1], ...time };
  }
  return packument;
}
