export { createGoProcessor } from './GoProcessor';
export type { GoProcessorOptions } from './GoProcessor';
export { goArtifactConfigSchema, DEFAULT_GO_PROXY } from './goConfig';
export type { GoArtifactConfig } from './goConfig';
export { goVersionScheme } from './goVersionScheme';
