export { createGithubReleasesProcessor, normalizeRepositoryId } from './GithubReleasesProcessor';
export type { GithubReleasesProcessorOptions } from './GithubReleasesProcessor';
export {
  DEFAULT_GITHUB_API,
  GITHUB_RELEASES,
  githubReleasesArtifactConfigSchema,
} from './githubReleasesConfig';
export type { GithubReleasesArtifactConfig } from './githubReleasesConfig';
