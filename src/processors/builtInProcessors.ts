import { createCargoProcessor } from './cargo';
import { createFilesProcessor } from './files';
import { createGithubReleasesProcessor } from './githubReleases';
import { createHuggingfaceProcessor } from './huggingface';
import { BackpackProcessorContext, BackpackProcessorFactory } from './context';
import { createGoProcessor } from './go';
import { createComposerProcessor } from './composer';
import { createHelmProcessor } from './helm';
import { createMavenProcessor } from './maven';
import { createNpmProcessor } from './npm';
import { createNugetProcessor } from './nuget';
import { createOciProcessor } from './oci';
import { createPypiProcessor } from './pypi';
import { createTerraformProcessor } from './terraform';

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
  'github-releases': context => {
    const settings = settingsOf(context, 'github-releases');
    return (
      settings &&
      createGithubReleasesProcessor({
        config: settings.section,
        rootConfig: context.config,
        upstream: context.upstream,
      })
    );
  },
  files: context => {
    const settings = settingsOf(context, 'files');
    return (
      settings &&
      createFilesProcessor({ config: settings.section, rootConfig: context.config, upstream: context.upstream })
    );
  },
  terraform: context => {
    const settings = settingsOf(context, 'terraform');
    return settings && createTerraformProcessor({ config: settings.section, upstream: context.upstream });
  },
  huggingface: context => {
    const settings = settingsOf(context, 'huggingface');
    return settings && createHuggingfaceProcessor({ config: settings.section, upstream: context.upstream });
  },
} satisfies Record<string, BackpackProcessorFactory>;
