import semver from 'semver';
import { CollectedArtifact, CollectedFile } from '../../database/ExportStore';
import { FileIntegrity } from '../../types';

/**
 * Where a bundle puts npm content, below `npm/`:
 *
 * - `npm/<name>` — the packument, a JSON file without extension, so that a
 *   static server answers npm's `GET /<name>` (and `GET /@scope%2fname`,
 *   which static servers decode to `@scope/name`) with the file itself; no
 *   directory index or redirect is involved.
 * - `npm/-/<name>/<file>.tgz` — the tarballs. They cannot sit below
 *   `npm/<name>/` as on registry.npmjs.org because `npm/<name>` is a file;
 *   `-` is a name no npm package can have.
 *
 * Packuments need absolute tarball URLs. They are written against a base
 * URL, by default `https://registry.npmjs.org/`: npm (and pacote) replace
 * that host with the configured `--registry` and keep the path (the
 * `replace-registry-host` setting, `npmjs` by default), so the bundle works
 * unchanged when `npm/` is served at the root of an origin. When the
 * receiving registry's URL is known, configure it instead
 * (`backpack.exports.npm.tarballBaseUrl`), which also suits clients that
 * rewrite nothing.
 */
export const NPM_ROOT = 'npm';

/** Bundle path of an npm tarball. */
export function npmTarballPath(name: string, file: string): string {
  return `${NPM_ROOT}/-/${name}/${file}`;
}

/** Bundle path of an npm packument. */
export function npmPackumentPath(name: string): string {
  return `${NPM_ROOT}/${name}`;
}

function urlPath(path: string): string {
  return path
    .split('/')
    .map(segment => encodeURIComponent(segment).replace(/^%40/, '@'))
    .join('/');
}

/** The SRI string npm checks tarballs against: the upstream digest plus the sha256 collected. */
function integrityOf(file: CollectedFile): string | undefined {
  const hashes: string[] = [];
  const sri = (integrity: FileIntegrity) =>
    `${integrity.algorithm}-${Buffer.from(integrity.digest, 'hex').toString('base64')}`;
  if (file.integrity && file.integrity.algorithm !== 'md5') hashes.push(sri(file.integrity));
  if (file.sha256 && file.integrity?.algorithm !== 'sha256') {
    hashes.push(sri({ algorithm: 'sha256', digest: file.sha256 }));
  }
  return hashes.length > 0 ? hashes.join(' ') : undefined;
}

function distTags(artifact: CollectedArtifact, versions: string[]): Record<string, string> {
  const available = new Set(versions);
  const tags: Record<string, string> = {};
  for (const [tag, version] of Object.entries(artifact.tags ?? {})) {
    if (available.has(version)) tags[tag] = version;
  }
  if (!tags.latest) {
    // Recomputed over what is mirrored, as npm would pick without a tag.
    const valid = versions.filter(v => semver.valid(v));
    const stable = valid.filter(v => !semver.prerelease(v));
    const latest = semver.rsort([...(stable.length > 0 ? stable : valid)])[0];
    if (latest) tags.latest = latest;
  }
  return tags;
}

/**
 * The packument of an npm artifact over its collected versions, with
 * tarball URLs below `tarballBaseUrl` in the bundle layout.
 */
export function staticNpmPackument(
  artifact: CollectedArtifact,
  tarballBaseUrl: string,
): Record<string, unknown> {
  const base = tarballBaseUrl.endsWith('/') ? tarballBaseUrl : `${tarballBaseUrl}/`;
  const versions: Record<string, unknown> = {};
  const time: Record<string, string> = {};
  for (const entry of artifact.versions) {
    const tarball = entry.files.find(f => f.name.endsWith('.tgz')) ?? entry.files[0];
    if (!tarball) continue;
    const byKind = (kind: string) => {
      const deps = entry.dependencies.filter(
        // A peer nobody resolved was not followed (optional peers); npm
        // would fail asking for it.
        d => d.kind === kind && d.processor === artifact.processor && !(kind === 'peer' && d.resolved.length === 0),
      );
      return deps.length > 0 ? Object.fromEntries(deps.map(d => [d.id, d.range])) : undefined;
    };
    const integrity = integrityOf(tarball);
    versions[entry.version] = {
      name: artifact.id,
      version: entry.version,
      dependencies: byKind('runtime'),
      optionalDependencies: byKind('optional'),
      peerDependencies: byKind('peer'),
      dist: {
        tarball: `${base}${urlPath(npmTarballPath(artifact.id, tarball.name).slice(NPM_ROOT.length + 1))}`,
        ...(integrity ? { integrity } : {}),
        ...(tarball.integrity?.algorithm === 'sha1' ? { shasum: tarball.integrity.digest } : {}),
      },
    };
    if (entry.publishedAt) time[entry.version] = entry.publishedAt;
  }
  const names = Object.keys(versions);
  return {
    name: artifact.id,
    'dist-tags': distTags(artifact, names),
    versions,
    ...(Object.keys(time).length > 0 ? { time } : {}),
  };
}
