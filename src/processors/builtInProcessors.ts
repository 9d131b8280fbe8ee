import { createCargoProcessor } from './cargo';
import { BackpackProcessorContext, BackpackProcessorFactory } from './context';
import { createGoProcessor } from './go';
import { createComposerProcessor } from './composer';
import { createHelmProcessor } from './helm';
import { createMavenProcessor } from './maven';
import { createNpmProcessor } from './npm';
import { createNugetProcessor } from './nuget';
import { createOciProcessor } from './oci';
import { createPypiProcessor } from './pypi';

/** The config block of a built-in processor, or undefined when it is disabled. */
function settingsOf(context: BackpackProcessorContext, name: string) {
  const section = context.config.getOptionalConfig(`backpack.processors.${name}`);
  const enabled = section?.getOptionalBoolean('enabled') ?? true;
  return enabled ? { section } : undefined;
}

/**
 * The processors that ship with Backpack, by name: each reads
 * `backpack.processors.<name>`, is left out when `enabled: false`, and
 * registers its upstream hosts in the host policy (as the operator's when
 * configured, as public-only defaults otherwise). The package's modules add
 * them through the extension point, as replaceable registrations.
 */
export const builtInProcessorFactories = {
  npm: context => {
    const settings = settingsOf(context, 'npm');
    return settings && createNpmProcessor({ config: settings.section, upstream: context.upstream });
  },
  pypi: context => {
    const settings = settingsOf(context, 'pypi');
    return settings && createPypiProcessor({ config: settings.section, upstream: context.upstream });
  },
  maven: context => {
    const settings = settingsOf(context, 'maven');
    return (
      settings &&
      createMavenProcessor({
        config: settings.section,
        upstream: context.upstream,
        limits: context.limits,
      })
    );
  },
  oci: context => {
    const settings = settingsOf(context, 'oci');
    return settings && createOciProcessor({ config: settings.section, upstream: context.upstream });
  },
  nuget: context => {
    const settings = settingsOf(context, 'nuget');
    return settings && createNugetProcessor({ config: settings.section, upstream: context.upstream });
  },
  cargo: context => {
    const settings = settingsOf(context, 'cargo');
    return settings && createCargoProcessor({ config: settings.section, upstream: context.upstream });
  },
  go: context => {
    const settings = settingsOf(context, 'go');
    return settings && createGoProcessor({ config: settings.section, upstream: context.upstream });
  },
  composer: context => {
    const settings = settingsOf(context, 'composer');
    return settings && createComposerProcessor({ config: settings.section, upstream: context.upstream });
  },
  helm: context => {
    const settings = settingsOf(context, 'helm');
    return (
      settings &&
      createHelmProcessor({
        config: settings.section,
        ociConfig: context.config.getOptionalConfig('backpack.processors.oci'),
        upstream: context.upstream,
        limits: context.limits,
      })
    );
  },
} satisfies Record<string, BackpackProcessorFactory>;
