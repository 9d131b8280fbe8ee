export { createNugetProcessor } from './NugetProcessor';
export type { NugetProcessorOptions } from './NugetProcessor';
export { nugetArtifactConfigSchema, DEFAULT_NUGET_SERVICE_INDEX } from './nugetConfig';
export type { NugetArtifactConfig } from './nugetConfig';
export { nugetVersionScheme } from './nugetVersion';
