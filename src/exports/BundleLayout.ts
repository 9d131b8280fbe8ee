import { CollectedArtifact, CollectedFile } from '../database/ExportStore';
import { fileRefusal, layoutPathProblem } from '../storage/fileRefusal';
import { FILE_KEY_ROOT, fileStorageKey } from '../storage/fileStorageKey';
import {
  bundleMavenMetadata,
  MAVEN_ROOT,
  mavenFilePath,
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
  pypiFilePath,
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
 * processors go to their storage key below `files/`
 * (`<processor>/<id>/<version>/<name>`, each part encoded) and get no
 * metadata.
 *
 * Every file's path names its artifact, version and file name, each as one
 * path segment, so no two files of a bundle share a path.
 *
 * Metadata always covers everything collected up to the bundle's cut-off
 * for the artifacts it touches, so unpacking a full bundle and then its
 * deltas in order over the same directory leaves complete registries.
 */
export class BundleLayout {
  constructor(private readonly options: BundleLayoutOptions) {}

  /**
   * Bundle path of a collected file. Throws for a file whose name or
   * version is not one safe path segment, which the collector refuses to
   * collect in the first place.
   */
  pathOf(file: CollectedFile): string {
    const refusal = fileRefusal({ name: file.name, version: file.version });
    if (refusal) {
      throw new Error(`${file.processor}:${file.artifactId}@${file.version}: ${refusal}`);
    }
    let path: string;
    switch (file.processor) {
      case NPM_ROOT:
        path = npmTarballPath(file.artifactId, file.version, file.name);
        break;
      case PYPI_ROOT:
        path = pypiFilePath(file.artifactId, file.version, file.name);
        break;
      case MAVEN_ROOT:
        path = mavenFilePath(file.artifactId, file.version, file.name);
        break;
      default:
        path = fileStorageKey(file).slice(FILE_KEY_ROOT.length + 1);
    }
    const problem = layoutPathProblem(path);
    if (problem) throw new Error(`${file.processor}:${file.artifactId}: bundle path ${path} ${problem}`);
    return path;
  }

  /** Whether `.sha1`/`.md5` sidecars are written after the file. */
  wantsSidecars(file: CollectedFile): boolean {
    return file.processor === MAVEN_ROOT && needsMavenSidecars(file.name);
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
