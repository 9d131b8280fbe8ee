import {
  bundleComposerDocuments,
  bundleComposerPackagesJson,
  COMPOSER_PACKAGES_JSON_PATH,
  COMPOSER_ROOT,
  composerDistPath,
  DEFAULT_COMPOSER_REPOSITORY_URL,
} from '../metadata/staticComposer';
import { EcosystemLayout } from './EcosystemLayout';

/** Composer: a static Composer v2 repository under `composer/` (see `metadata/staticComposer.ts`). */
export const composerLayout: EcosystemLayout = {
  processor: COMPOSER_ROOT,
  pathOf: file => composerDistPath(file.artifactId, file.version, file.name),
  metadataOf: (artifact, _cutoff, context) =>
    bundleComposerDocuments(
      artifact,
      context.composerRepositoryUrl ?? DEFAULT_COMPOSER_REPOSITORY_URL,
      context.rangeReaderOf,
    ),
  indexesOf: context => [
    {
      path: COMPOSER_PACKAGES_JSON_PATH,
      async *chunks() {
        yield bundleComposerPackagesJson(context.composerRepositoryUrl ?? DEFAULT_COMPOSER_REPOSITORY_URL);
      },
    },
  ],
};
