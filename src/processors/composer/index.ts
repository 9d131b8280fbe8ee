export { createComposerProcessor } from './ComposerProcessor';
export type { ComposerProcessorOptions } from './ComposerProcessor';
export { composerArtifactConfigSchema, DEFAULT_COMPOSER_REPOSITORY } from './composerConfig';
export type { ComposerArtifactConfig } from './composerConfig';
export { composerVersionScheme } from './composerVersionScheme';
