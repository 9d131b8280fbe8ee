import { CollectedArtifact, CollectedFile } from '../database/ExportStore';
import {
  bundleMavenMetadata,
  MAVEN_ROOT,
  needsMavenSidecars,
} from './metadata/staticMaven';
import {
  bundleNpmPackument,
  NPM_ROOT,
  npmPackumentPath,
  npmTarballPath,
} from './metadata/staticNpm';
import {
  bundlePypiProjectPage,
  bundlePypiRootPage,
  PYPI_ROOT,
  PYPI_ROOT_PAGE_PATH,
  pypiProjectPagePath,
} from './metadata/staticPypi';

/** A generated entry of a bundle. */
export interface GeneratedEntry {
  path: string;
  content: Buffer;
}

/** A generated entry whose text is produced page by page, for entries that grow with the mirror. */
export interface StreamedEntry {
  path: string;
  /** Called twice: once to measure, once to write; must yield the same text both times. */
  chunks(): AsyncIterable<string>;
}

/** Options of {@link BundleLayout}. */
export interface BundleLayoutOptions {
  /** Base URL of tarball URLs in npm packuments; see `metadata/staticNpm.ts`. */
  npmTarballBaseUrl: string;
  /** Ids of a processor's artifacts collected up to the cut-off, page by page. */
  listArtifactIds(processor: string): AsyncIterable<string>;
  /** The package.json in a stored npm tarball, if it has a readable one. */
  readNpmManifest(file: CollectedFile): Promise<Record<string, unknown> | undefined>;
}

/**
 * Where each file of a bundle goes and which registry metadata accompanies
 * it, so that a static web server over the unpacked bundle is a registry:
 * `npm/` for npm, `pypi/simple/` for pip, `maven/` for Maven. Files of other
 * processors keep their storage keys (`<processor>/<path>`) and get no
 * metadata.
 *
 * Metadata always covers everything collected up to the bundle's cut-off
 * for the artifacts it touches, so unpacking a full bundle and then its
 * deltas in order over the same directory leaves complete registries.
 */
export class BundleLayout {
  constructor(private readonly options: BundleLayoutOptions) {}

  /** Bundle path of a collected file. */
  pathOf(file: CollectedFile): string {
    if (file.processor === NPM_ROOT) return npmTarballPath(file.artifactId, file.name);
    return file.storageKey;
  }

  /** Whether `.sha1`/`.md5` sidecars are written after the file. */
  wantsSidecars(file: CollectedFile): boolean {
    return file.processor === MAVEN_ROOT && needsMavenSidecars(file.storageKey);
  }

  /** Registry metadata of one artifact touched by the bundle. */
  async metadataOf(artifact: CollectedArtifact, cutoff: string): Promise<GeneratedEntry[]> {
    if (artifact.versions.length === 0) return [];
    switch (artifact.processor) {
      case NPM_ROOT: {
        const packument = await bundleNpmPackument(artifact, {
          tarballBaseUrl: this.options.npmTarballBaseUrl,
          readManifest: file => this.options.readNpmManifest(file),
        });
        return [
          { path: npmPackumentPath(artifact.id), content: Buffer.from(JSON.stringify(packument)) },
        ];
      }
      case PYPI_ROOT:
        return [
          {
            path: pypiProjectPagePath(artifact.id),
            content: Buffer.from(bundlePypiProjectPage(artifact)),
          },
        ];
      case MAVEN_ROOT:
        return bundleMavenMetadata(artifact, cutoff);
      default:
        return [];
    }
  }

  /** Processor-wide pages of a bundle that touched the processor. */
  indexesOf(processor: string): StreamedEntry[] {
    if (processor !== PYPI_ROOT) return [];
    const { listArtifactIds } = this.options;
    return [
      {
        path: PYPI_ROOT_PAGE_PATH,
        async *chunks() {
          yield bundlePypiRootPage.head;
          for await (const id of listArtifactIds(processor)) {
            yield bundlePypiRootPage.project(id);
          }
          yield bundlePypiRootPage.tail;
        },
      },
    ];
  }
}
