import {
  bundleNugetServiceIndex,
  bundleNugetVersionList,
  DEFAULT_NUGET_FEED_BASE_URL,
  NUGET_ROOT,
  NUGET_SERVICE_INDEX_PATH,
  nugetPackagePath,
  nugetVersionListPath,
} from '../metadata/staticNuget';
import { EcosystemLayout } from './EcosystemLayout';

/** NuGet: a static v3 feed under `nuget/` (see `metadata/staticNuget.ts`). */
export const nugetLayout: EcosystemLayout = {
  processor: NUGET_ROOT,
  pathOf: file => nugetPackagePath(file.artifactId, file.version, file.name),
  async metadataOf(artifact) {
    return [{ path: nugetVersionListPath(artifact.id), content: Buffer.from(bundleNugetVersionList(artifact)) }];
  },
  indexesOf: context => [
    {
      path: NUGET_SERVICE_INDEX_PATH,
      async *chunks() {
        yield bundleNugetServiceIndex(context.nugetFeedBaseUrl ?? DEFAULT_NUGET_FEED_BASE_URL);
      },
    },
  ],
};
