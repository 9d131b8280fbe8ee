import { createBackendModule } from '@backstage/backend-plugin-api';
import { backpackProcessorsExtensionPoint } from './extensions';
import { builtInProcessorFactories } from './processors/builtInProcessors';

function builtInProcessorModule(name: keyof typeof builtInProcessorFactories) {
  return createBackendModule({
    pluginId: 'backpack',
    moduleId: `${name}-processor`,
    register(reg) {
      reg.registerInit({
        deps: { processors: backpackProcessorsExtensionPoint },
        async init({ processors }) {
          processors.addProcessorFactory(builtInProcessorFactories[name], { replaceable: true });
        },
      });
    },
  });
}

/**
 * The built-in npm processor, added through the extension point like any
 * module's processor; configured by `backpack.processors.npm`.
 *
 * @public
 */
export const backpackModuleNpmProcessor = builtInProcessorModule('npm');

/**
 * The built-in PyPI processor; configured by `backpack.processors.pypi`.
 *
 * @public
 */
export const backpackModulePypiProcessor = builtInProcessorModule('pypi');

/**
 * The built-in Maven processor; configured by `backpack.processors.maven`.
 *
 * @public
 */
export const backpackModuleMavenProcessor = builtInProcessorModule('maven');

/**
 * The built-in OCI processor (container images and any OCI artifact);
 * configured by `backpack.processors.oci`.
 *
 * @public
 */
export const backpackModuleOciProcessor = builtInProcessorModule('oci');

/**
 * The built-in NuGet processor (v3 feeds); configured by
 * `backpack.processors.nuget`.
 *
 * @public
 */
export const backpackModuleNugetProcessor = builtInProcessorModule('nuget');

/**
 * The built-in Cargo processor (Rust crates from a sparse registry);
 * configured by `backpack.processors.cargo`.
 *
 * @public
 */
export const backpackModuleCargoProcessor = builtInProcessorModule('cargo');

/**
 * The built-in Hugging Face processor (models, datasets and spaces of a
 * Hub); configured by `backpack.processors.huggingface`.
 *
 * @public
 */
export const backpackModuleHuggingfaceProcessor = builtInProcessorModule('huggingface');

/**
 * The processors of `backpack.processors.external`, each served by a plugin
 * process over stdio (see the README, "External processors").
 *
 * @public
 */
export { backpackModuleExternalProcessors } from './processors/external/module';

/**
 * The built-in Go modules processor; configured by `backpack.processors.go`.
 *
 * @public
 */
export const backpackModuleGoProcessor = builtInProcessorModule('go');

/**
 * The built-in Composer processor (Composer v2 repositories such as
 * Packagist); configured by `backpack.processors.composer`.
 *
 * @public
 */
export const backpackModuleComposerProcessor = builtInProcessorModule('composer');

/**
 * The built-in Helm processor (charts of chart repositories, with their
 * subcharts and images as `oci` artifacts); configured by
 * `backpack.processors.helm`.
 *
 * @public
 */
export const backpackModuleHelmProcessor = builtInProcessorModule('helm');

/**
 * The built-in GitHub releases processor (release assets of github.com or
 * GitHub Enterprise repositories); configured by
 * `backpack.processors.github-releases`.
 *
 * @public
 */
export const backpackModuleGithubReleasesProcessor = builtInProcessorModule('github-releases');

/**
 * The built-in files processor (plain URLs with their sha256, on
 * `backpack.allowedHosts`); configured by `backpack.processors.files`.
 *
 * @public
 */
export const backpackModuleFilesProcessor = builtInProcessorModule('files');

/**
 * The built-in Terraform / OpenTofu provider processor (provider registry
 * protocol); configured by `backpack.processors.terraform`.
 *
 * @public
 */
export const backpackModuleTerraformProcessor = builtInProcessorModule('terraform');

/**
 * The admission plugins of `backpack.admission.external`, each asked over
 * stdio whether a version may enter (see the README, "Admission checks").
 *
 * @public
 */
export { backpackModuleExternalAdmission } from './admission/external/module';

/**
 * Publishes Backpack's change events on Backstage's events service (see
 * the README, "Change events").
 *
 * @public
 */
export { backpackModuleEvents } from './events/module';
