export { createNpmProcessor } from './NpmProcessor';
export type { NpmProcessorOptions } from './NpmProcessor';
export { npmArtifactConfigSchema, DEFAULT_NPM_REGISTRY } from './npmConfig';
export type { NpmArtifactConfig } from './npmConfig';
export { semverScheme } from './semverScheme';
