export { createHelmProcessor } from './HelmProcessor';
export type { HelmProcessorOptions } from './HelmProcessor';
export { helmArtifactConfigSchema } from './helmConfig';
export type { HelmArtifactConfig } from './helmConfig';
export { helmVersionScheme } from './helmVersionScheme';
