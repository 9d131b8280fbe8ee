import { Config } from '@backstage/config';
import { numberAtLeast, PluginEntrySettings, readPluginEntries } from '../../plugins/host/pluginEntries';
import { versionSchemeNamed } from './versionSchemes';

/**
 * One entry of `backpack.processors.external`.
 *
 * @public
 */
export interface ExternalProcessorSettings extends PluginEntrySettings {
  description?: string;
  maxMessageBytes: number;
  /** Hosts its files (and the metadata it fetches through Backpack) come from. */
  allowedHosts: string[];
  /** Set ahead of the handshake, which must then agree. */
  versionScheme?: string;
}

/**
 * Reads `backpack.processors.external`: a list of plugins, each becoming a
 * processor of its own. Mistakes fail the backend's start with the entry's
 * key named.
 */
export function readExternalProcessorSettings(root: Config): ExternalProcessorSettings[] {
  return readPluginEntries(root, 'backpack.processors.external', { timeoutMs: 60_000 }, (entry, where, common) => {
    const versionScheme = entry.getOptionalString('versionScheme');
    if (versionScheme !== undefined) versionSchemeNamed(versionScheme, `${where}.versionScheme`);
    return {
      ...common,
      description: entry.getOptionalString('description'),
      maxMessageBytes: numberAtLeast(entry, 'maxMessageBytes', 16 * 1024 * 1024, 1024, where),
      allowedHosts: entry.getOptionalStringArray('allowedHosts') ?? [],
      versionScheme,
    };
  });
}
