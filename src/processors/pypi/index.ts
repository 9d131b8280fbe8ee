export { createPypiProcessor } from './PypiProcessor';
export type { PypiProcessorOptions } from './PypiProcessor';
export { pypiArtifactConfigSchema, DEFAULT_PYPI_INDEX } from './pypiConfig';
export type { PypiArtifactConfig } from './pypiConfig';
export { pep440VersionScheme } from './Pep440VersionScheme';
export { normalizePypiName } from './normalizeName';
export { DEFAULT_PLATFORMS, DEFAULT_PYTHON_VERSIONS } from './targets';
