/**
 * A NuGet v3 feed as static files under `nuget/` of a bundle: the flat
 * container (`PackageBaseAddress/3.0.0`), which is what a restore reads,
 * and a service index naming it. A service index must hold absolute URLs,
 * so it names the feed at `backpack.exports.nuget.feedBaseUrl`, where the
 * far side serves the bundle's `nuget/` directory.
 */
import { CollectedArtifact } from '../../database/ExportStore';
import { nugetVersionScheme } from '../../processors/nuget/nugetVersion';

/** The bundle directory of NuGet packages, also the processor's name. */
export const NUGET_ROOT = 'nuget';

/** The default feed URL: the bundle's `nuget/` served by any web server on port 8080 of the far host. */
export const DEFAULT_NUGET_FEED_BASE_URL = 'http://localhost:8080/nuget/';

export const NUGET_SERVICE_INDEX_PATH = `${NUGET_ROOT}/v3/index.json`;

const FLAT = `${NUGET_ROOT}/v3-flatcontainer`;

/** Where a collected .nupkg sits: `nuget/v3-flatcontainer/<id>/<version>/<id>.<version>.nupkg`. */
export function nugetPackagePath(id: string, version: string, name: string): string {
  return `${FLAT}/${id}/${version.toLowerCase()}/${name}`;
}

/** The flat container's version list of one package. */
export function nugetVersionListPath(id: string): string {
  return `${FLAT}/${id}/index.json`;
}

/** The `{ versions }` document of the versions of an artifact the bundle holds a .nupkg of. */
export function bundleNugetVersionList(artifact: CollectedArtifact): string {
  const versions = artifact.versions
    .filter(v => v.files.some(f => f.name.endsWith('.nupkg')))
    .map(v => v.version)
    .sort(nugetVersionScheme.compare);
  return JSON.stringify({ versions: versions.map(v => v.toLowerCase()) });
}

/** The service index of a bundle's feed served at `baseUrl`. */
export function bundleNugetServiceIndex(baseUrl: string): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return JSON.stringify({
    version: '3.0.0',
    resources: [{ '@id': `${base}v3-flatcontainer/`, '@type': 'PackageBaseAddress/3.0.0' }],
  });
}
