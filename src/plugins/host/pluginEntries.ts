import { Config } from '@backstage/config';

/** Plugin names as they appear in URLs, storage keys, bundles and reasons. */
const NAME = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * What every external plugin entry in config declares (external processors
 * and admission plugins alike): how to run it and how long to wait for it.
 *
 * @public
 */
export interface PluginEntrySettings {
  name: string;
  /** Executable and arguments; no shell. */
  command: string[];
  /** The plugin's environment besides PATH, locale and temp dirs. */
  env: Record<string, string>;
  timeoutMs: number;
  /** 0 keeps the plugin running. */
  idleSeconds: number;
  graceMs: number;
  startTimeoutMs: number;
  maxConcurrentRequests: number;
}

/** A number of at least `min`, or the default; the error names the key. */
export function numberAtLeast(config: Config, key: string, fallback: number, min: number, where: string): number {
  const value = config.getOptionalNumber(key) ?? fallback;
  if (!Number.isFinite(value) || value < min) {
    throw new Error(`${where}.${key}: must be a number of at least ${min}`);
  }
  return value;
}

/**
 * Reads a list of plugin entries (`backpack.processors.external`,
 * `backpack.admission.external`) with what they share, and hands each
 * entry to `more` for what only its kind has. Mistakes fail the backend's
 * start with the entry's key named.
 */
export function readPluginEntries<T>(
  root: Config,
  key: string,
  defaults: { timeoutMs: number },
  more: (entry: Config, where: string, common: PluginEntrySettings) => T,
): T[] {
  const entries = root.getOptionalConfigArray(key) ?? [];
  const names = new Set<string>();
  return entries.map((entry, index) => {
    const where = `${key}[${index}]`;
    const name = entry.getString('name');
    if (!NAME.test(name)) {
      throw new Error(`${where}.name: '${name}' must be lowercase letters, digits and '-', at most 40`);
    }
    if (names.has(name)) throw new Error(`${where}.name: '${name}' is listed twice`);
    names.add(name);
    const command = entry.getStringArray('command');
    if (command.length === 0 || !command[0]) throw new Error(`${where}.command: must name an executable`);
    const envConfig = entry.getOptionalConfig('env');
    const env: Record<string, string> = {};
    for (const variable of envConfig?.keys() ?? []) env[variable] = envConfig!.getString(variable);
    return more(entry, where, {
      name,
      command,
      env,
      timeoutMs: numberAtLeast(entry, 'timeoutMs', defaults.timeoutMs, 1, where),
      idleSeconds: numberAtLeast(entry, 'idleSeconds', 300, 0, where),
      graceMs: numberAtLeast(entry, 'graceMs', 5_000, 0, where),
      startTimeoutMs: numberAtLeast(entry, 'startTimeoutMs', 10_000, 1, where),
      maxConcurrentRequests: numberAtLeast(entry, 'maxConcurrentRequests', 8, 1, where),
    });
  });
}
