export { createFilesProcessor, normalizeFilesId } from './FilesProcessor';
export type { FilesProcessorOptions } from './FilesProcessor';
export { FILES } from './filesConfig';
export type { FilesArtifactConfig } from './filesConfig';
