/**
 * A Composer v2 repository as static files under `composer/` of a bundle:
 * `packages.json`, `p2/<vendor>/<name>.json` (and `~dev.json`) and the dists.
 * Composer takes dist URLs as they are written and resolves a
 * `metadata-url` only against the host, so both name the repository at
 * `backpack.exports.composer.repositoryUrl`, where the far side serves the
 * bundle's `composer/` directory.
 */
import { CollectedArtifact, CollectedFile } from '../../database/ExportStore';
import { RangeReader } from '../../lib/zipEntry';
import { composerDistFileName } from '../../processors/composer/composerNames';
import { composerVersionScheme } from '../../processors/composer/composerVersionScheme';
import {
  composerPackageDocument,
  composerVersionEntry,
  isDevVersion,
  readComposerManifest,
  sha1OfRanges,
  storedRecord,
} from '../../views/composer/composerManifest';
import { GeneratedEntry } from '../layouts/EcosystemLayout';

/** The bundle directory of Composer packages, also the processor's name. */
export const COMPOSER_ROOT = 'composer';

/** The default repository URL: the bundle's `composer/` served by any web server on port 8080 of the far host. */
export const DEFAULT_COMPOSER_REPOSITORY_URL = 'http://localhost:8080/composer/';

export const COMPOSER_PACKAGES_JSON_PATH = `${COMPOSER_ROOT}/packages.json`;

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);

/** The path of a dist below `composer/`, each segment encoded. */
function distSubPath(id: string, version: string, name: string): string {
  return ['dists', ...id.split('/'), version, name].map(encodeURIComponent).join('/');
}

/** Where a collected dist sits: `composer/dists/<vendor>/<name>/<version>/<file>`. */
export function composerDistPath(id: string, version: string, name: string): string {
  return `${COMPOSER_ROOT}/${['dists', ...id.split('/'), version, name].join('/')}`;
}

/** The root document of a bundle's repository served at `repositoryUrl`. */
export function bundleComposerPackagesJson(repositoryUrl: string): string {
  return JSON.stringify({ packages: [], 'metadata-url': `${withSlash(repositoryUrl)}p2/%package%.json` });
}

/**
 * The p2 documents of one package: every version collected up to the
 * cut-off with its dist, tagged versions in `<name>.json`, development
 * versions in `<name>~dev.json`.
 */
export async function bundleComposerDocuments(
  artifact: CollectedArtifact,
  repositoryUrl: string,
  rangeReaderOf: (file: CollectedFile) => RangeReader,
): Promise<GeneratedEntry[]> {
  const id = artifact.id;
  const versions = artifact.versions
    .map(v => ({ version: v, file: v.files.find(f => f.name === composerDistFileName(id, v.version)) }))
    // The size is recorded at collection; without it the archive cannot be read by ranges.
    .filter((v): v is typeof v & { file: CollectedFile & { size: number } } => v.file?.size !== undefined)
    .sort((a, b) => composerVersionScheme.compare(b.version.version, a.version.version));
  const documents: GeneratedEntry[] = [];
  for (const dev of [false, true]) {
    const entries = [];
    for (const { version, file } of versions.filter(v => isDevVersion(v.version.version) === dev)) {
      const read = rangeReaderOf(file);
      const manifest = storedRecord(version.metadata) ?? (await readComposerManifest(read, file.size));
      const shasum = file.integrity?.algorithm === 'sha1' ? file.integrity.digest : await sha1OfRanges(read, file.size);
      entries.push(
        composerVersionEntry({
          name: id,
          version: version.version,
          manifest,
          distUrl: `${withSlash(repositoryUrl)}${distSubPath(id, version.version, file.name)}`,
          shasum,
          time: version.publishedAt,
        }),
      );
    }
    if (entries.length === 0) continue;
    documents.push({
      path: `${COMPOSER_ROOT}/p2/${id}${dev ? '~dev' : ''}.json`,
      content: Buffer.from(composerPackageDocument(id, entries)),
    });
  }
  return documents;
}
