export { createMavenProcessor } from './MavenProcessor';
export type { MavenProcessorOptions } from './MavenProcessor';
export { mavenArtifactConfigSchema, DEFAULT_MAVEN_REPOSITORY } from './mavenConfig';
export type { MavenArtifactConfig } from './mavenConfig';
export { mavenVersionScheme } from './MavenVersionScheme';
