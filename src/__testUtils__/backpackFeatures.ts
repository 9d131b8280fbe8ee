import {
  backpackModuleExternalAdmission,
  backpackModuleExternalProcessors,
  backpackModuleMavenProcessor,
  backpackModuleNpmProcessor,
  backpackModuleNugetProcessor,
  backpackModuleComposerProcessor,
  backpackModuleOciProcessor,
  backpackModulePypiProcessor,
  backpackModuleCargoProcessor,
  backpackModuleGoProcessor,
  backpackModuleHelmProcessor,
  backpackModuleGithubReleasesProcessor,
  backpackModuleFilesProcessor,
  backpackModuleTerraformProcessor,
  backpackModuleHuggingfaceProcessor,
  backpackModuleEvents,
} from '../modules';
import { backpackPlugin } from '../plugin';
import { backpackUrlReaderFactories } from '../upstream/upstreamGateService';

/**
 * What the package's default export loads, as plain features:
 * `startTestBackend` adds a stand-in plugin for modules whose plugin it
 * does not see, and it does not look inside feature loaders, so a test that
 * adds its own `backpack` module next to the loader would get two plugins.
 */
export const backpackFeatures = [
  backpackPlugin,
  backpackUrlReaderFactories,
  backpackModuleNpmProcessor,
  backpackModulePypiProcessor,
  backpackModuleMavenProcessor,
  backpackModuleOciProcessor,
  backpackModuleNugetProcessor,
  backpackModuleCargoProcessor,
  backpackModuleHuggingfaceProcessor,
  backpackModuleExternalProcessors,
  backpackModuleGoProcessor,
  backpackModuleComposerProcessor,
  backpackModuleHelmProcessor,
  backpackModuleGithubReleasesProcessor,
  backpackModuleFilesProcessor,
  backpackModuleTerraformProcessor,
  backpackModuleExternalAdmission,
  backpackModuleEvents,
];
