import {
  backpackModuleCargoProcessor,
  backpackModuleComposerProcessor,
  backpackModuleEvents,
  backpackModuleExternalAdmission,
  backpackModuleExternalProcessors,
  backpackModuleFilesProcessor,
  backpackModuleGithubReleasesProcessor,
  backpackModuleGoProcessor,
  backpackModuleHelmProcessor,
  backpackModuleHuggingfaceProcessor,
  backpackModuleMavenProcessor,
  backpackModuleNpmProcessor,
  backpackModuleNugetProcessor,
  backpackModuleOciProcessor,
  backpackModulePypiProcessor,
  backpackModuleTerraformProcessor,
} from './modules';
import { backpackPlugin } from './plugin';
import { backpackUrlReaderFactories } from './upstream/upstreamGateService';

/**
 * What the package's default export loads: the plugin, Backpack's URL
 * reader in the plugin's UrlReaderService, every built-in processor (each
 * through the processors extension point, like any module's), external
 * processors and admission plugins from config, and change events. One
 * list, so that the loader and the test backends cannot differ.
 */
export const backpackDefaultFeatures = [
  backpackPlugin,
  backpackUrlReaderFactories,
  backpackModuleNpmProcessor,
  backpackModulePypiProcessor,
  backpackModuleMavenProcessor,
  backpackModuleOciProcessor,
  backpackModuleHelmProcessor,
  backpackModuleNugetProcessor,
  backpackModuleCargoProcessor,
  backpackModuleGoProcessor,
  backpackModuleComposerProcessor,
  backpackModuleTerraformProcessor,
  backpackModuleGithubReleasesProcessor,
  backpackModuleFilesProcessor,
  backpackModuleHuggingfaceProcessor,
  backpackModuleExternalProcessors,
  backpackModuleExternalAdmission,
  backpackModuleEvents,
];
