export { createHuggingfaceProcessor } from './HuggingfaceProcessor';
export type { HuggingfaceProcessorOptions } from './HuggingfaceProcessor';
export { huggingfaceArtifactConfigSchema, DEFAULT_HUB_ENDPOINT } from './hfConfig';
export type { HuggingfaceArtifactConfig } from './hfConfig';
export { huggingfaceVersionScheme } from './hfVersionScheme';
