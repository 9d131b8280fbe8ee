import { CollectedArtifact, CollectedFile } from '../database/ExportStore';
import {
  MAVEN_ROOT,
  needsMavenSidecars,
  staticMavenMetadata,
} from './metadata/staticMaven';
import {
  npmPackumentPath,
  npmTarballPath,
  staticNpmPackument,
} from './metadata/staticNpm';
import {
  PYPI_ROOT,
  PYPI_ROOT_PAGE_PATH,
  pypiProjectPagePath,
  staticPypiProjectPage,
  staticPypiRootPage,
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
    if (file.processor === 'npm') return npmTarballPath(file.artifactId, file.name);
    return file.storageKey;
  }

  /** Whether `.sha1`/`.md5` sidecars are written after the file. */
  wantsSidecars(file: CollectedFile): boolean {
    return file.processor === MAVEN_ROOT && needsMavenSidecars(file.storageKey);
  }

  /** Registry metadata of one artifact touched by the bundle. */
  metadataOf(artifact: CollectedArtifact, cutoff: string): GeneratedEntry[] {
    if (artifact.versions.length === 0) return [];
    switch (artifact.processor) {
      case 'npm': {
        const packument = staticNpmPackument(artifact, this.options.npmTarballBaseUrl);
        return [{ path: npmPackumentPath(artifact.id), content: Buffer.from(JSON.stringify(packument)) }];
      }
      case PYPI_ROOT:
        return [
          {
            path: pypiProjectPagePath(artifact.id),
            content: Buffer.from(staticPypiProjectPage(artifact)),
          },
        ];
      case MAVEN_ROOT:
        return staticMavenMetadata(artifact, cutoff);
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
          yield staticPypiRootPage.head;
          for await (const id of listArtifactIds(processor)) {
            yield staticPypiRootPage.project(id);
          }
          yield staticPypiRootPage.tail;
        },
      },
    ];
  }
}
