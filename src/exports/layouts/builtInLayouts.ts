import {
  bundleMavenMetadata,
  MAVEN_ROOT,
  mavenFilePath,
  needsMavenSidecars,
} from '../metadata/staticMaven';
import { bundleNpmPackument, NPM_ROOT, npmPackumentPath, npmTarballPath } from '../metadata/staticNpm';
import {
  bundlePypiProjectPage,
  bundlePypiRootPage,
  PYPI_ROOT,
  PYPI_ROOT_PAGE_PATH,
  pypiFilePath,
  pypiProjectPagePath,
} from '../metadata/staticPypi';
import { cargoLayout } from './cargoLayout';
import { composerLayout } from './composerLayout';
import { EcosystemLayout } from './EcosystemLayout';
import { helmLayout } from './helmLayout';
import { githubReleasesLayout, plainFilesLayout } from './filesLayout';
import { huggingfaceLayout } from './huggingfaceLayout';
import { nugetLayout } from './nugetLayout';
import { goLayout } from './goLayout';
import { ociLayout } from './ociLayout';
import { terraformLayout } from './terraformLayout';

/** npm: packuments as files `npm/<name>`, tarballs at `npm/-/<name>/<version>/<file>`. */
const npmLayout: EcosystemLayout = {
  processor: NPM_ROOT,
  pathOf: file => npmTarballPath(file.artifactId, file.version, file.name),
  async metadataOf(artifact, _cutoff, context) {
    const packument = await bundleNpmPackument(artifact, {
      tarballBaseUrl: context.npmTarballBaseUrl,
      readManifest: file => context.readNpmManifest(file),
    });
    return [{ path: npmPackumentPath(artifact.id), content: Buffer.from(JSON.stringify(packument)) }];
  },
};

/** PyPI: PEP 503 pages under `pypi/simple/`, files at `pypi/packages/<project>/<version>/<file>`. */
const pypiLayout: EcosystemLayout = {
  processor: PYPI_ROOT,
  pathOf: file => pypiFilePath(file.artifactId, file.version, file.name),
  async metadataOf(artifact) {
    return [
      { path: pypiProjectPagePath(artifact.id), content: Buffer.from(bundlePypiProjectPage(artifact)) },
    ];
  },
  indexesOf: context => [
    {
      path: PYPI_ROOT_PAGE_PATH,
      async *chunks() {
        yield bundlePypiRootPage.head;
        for await (const id of context.listArtifactIds(PYPI_ROOT)) {
          yield bundlePypiRootPage.project(id);
        }
        yield bundlePypiRootPage.tail;
      },
    },
  ],
};

/** Maven: the repository layout with sidecars and `maven-metadata.xml`. */
const mavenLayout: EcosystemLayout = {
  processor: MAVEN_ROOT,
  pathOf: file => mavenFilePath(file.artifactId, file.version, file.name),
  wantsSidecars: file => needsMavenSidecars(file.name),
  metadataOf: async (artifact, cutoff) => bundleMavenMetadata(artifact, cutoff),
};

/** The layouts of the ecosystems whose clients can read a bundle; one entry per ecosystem. */
export const BUILT_IN_LAYOUTS: EcosystemLayout[] = [
  npmLayout,
  pypiLayout,
  mavenLayout,
  ociLayout,
  nugetLayout,
  cargoLayout,
  goLayout,
  composerLayout,
  helmLayout,
  githubReleasesLayout,
  plainFilesLayout,
  terraformLayout,
  huggingfaceLayout,
];
