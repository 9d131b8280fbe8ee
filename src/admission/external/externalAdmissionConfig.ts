import { Config } from '@backstage/config';
import { PluginEntrySettings, readPluginEntries } from '../../plugins/host/pluginEntries';

/**
 * One entry of `backpack.admission.external`.
 *
 * @public
 */
export type ExternalAdmissionSettings = PluginEntrySettings;

/**
 * Reads `backpack.admission.external`: the admission plugins, each asked
 * about every version after the built-in checks. Mistakes fail the
 * backend's start with the entry's key named.
 */
export function readExternalAdmissionSettings(root: Config): ExternalAdmissionSettings[] {
  return readPluginEntries(root, 'backpack.admission.external', { timeoutMs: 30_000 }, (_entry, _where, common) => common);
}
