import { CollectedArtifact, CollectedFile } from '../../database/ExportStore';
import { mapLimited } from '../../lib/mapLimited';
import {
  collectedTarballDigests,
  createNpmPackument,
  NpmPackument,
} from '../../views/metadata/npmPackument';

/**
 * Where a bundle puts npm content, below `npm/`:
 *
 * - `npm/<name>` — the packument, a JSON file without extension, so that a
 *   static server answers npm's `GET /<name>` (and `GET /@scope%2fname`,
 *   which static servers decode to `@scope/name`) with the file itself; no
 *   directory index or redirect is involved.
 * - `npm/-/<name>/<version>/<file>.tgz` — the tarballs. They cannot sit
 *   below `npm/<name>/` as on registry.npmjs.org because `npm/<name>` is a
 *   file; `-` is a name no npm package can have. The version is part of
 *   the path because two versions may publish tarballs of the same name.
 *
 * Packuments need absolute tarball URLs. They are written against a base
 * URL, by default `https://registry.npmjs.org/`: npm (pacote) replaces that
 * host with the configured `--registry` and keeps the path (the
 * `replace-registry-host` setting, `npmjs` by default), so the bundle works
 * unchanged when `npm/` is served at the root of an origin. When the
 * receiving registry's URL is known, configure it instead
 * (`backpack.exports.npm.tarballBaseUrl`), which also suits clients that
 * rewrite nothing.
 */
export const NPM_ROOT = 'npm';

const MANIFEST_READS = 8;

/** Bundle path of an npm tarball of one version. */
export function npmTarballPath(name: string, version: string, file: string): string {
  return `${NPM_ROOT}/-/${name}/${version}/${file}`;
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

/**
 * The packument of an npm artifact over its collected versions, with
 * tarball URLs below `tarballBaseUrl` in the bundle layout. Each version's
 * manifest is the package.json of its tarball when `readManifest` finds
 * one, else built from the dependencies recorded at discovery.
 */
export async function bundleNpmPackument(
  artifact: CollectedArtifact,
  options: {
    tarballBaseUrl: string;
    readManifest(file: CollectedFile): Promise<Record<string, unknown> | undefined>;
  },
): Promise<NpmPackument> {
  const base = options.tarballBaseUrl.replace(/\/*$/, '/');
  const entries = artifact.versions.flatMap(entry => {
    const tarball = entry.files.find(f => f.name.endsWith('.tgz')) ?? entry.files[0];
    return tarball ? [{ entry, tarball }] : [];
  });
  // A few tarballs read at once: packages can have thousands of versions.
  const manifests = await mapLimited(entries, MANIFEST_READS, ({ tarball }) =>
    options.readManifest(tarball),
  );
  const versions = entries.map(({ entry, tarball }, i) => {
    const manifest = manifests[i];
    return {
      version: entry.version,
      ...(manifest
        ? { manifest }
        : {
            dependencies: entry.dependencies
              .filter(d => d.processor === artifact.processor)
              .map(d => ({ name: d.id, range: d.range, kind: d.kind })),
          }),
      tarball: `${base}${urlPath(
        npmTarballPath(artifact.id, entry.version, tarball.name).slice(NPM_ROOT.length + 1),
      )}`,
      digests: collectedTarballDigests(tarball),
      ...(entry.publishedAt ? { publishedAt: entry.publishedAt } : {}),
    };
  });
  return createNpmPackument({ name: artifact.id, versions, upstreamTags: artifact.tags });
}
