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
 * The processors of `backpack.processors.external`, each served by a plugin
 * process over stdio (see the README, "External processors").
 *
 * @public
 */
export { backpackModuleExternalProcessors } from './processors/external/module';

export { backpackModuleExternalAdmission } from './admission/external/module';
