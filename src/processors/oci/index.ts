export { createOciProcessor } from './OciProcessor';
export type { OciProcessorOptions } from './OciProcessor';
export { ociArtifactConfigSchema } from './ociConfig';
export type { OciArtifactConfig } from './ociConfig';
export { ociVersionScheme } from './ociVersionScheme';
