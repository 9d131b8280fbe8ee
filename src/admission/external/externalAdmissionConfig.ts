import { Config } from '@backstage/config';

/** Check names as they appear in reasons. */
const NAME = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * One entry of `backpack.admission.external`.
 *
 * @public
 */
export interface ExternalAdmissionSettings {
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

function atLeast(config: Config, key: string, fallback: number, min: number, where: string): number {
  const value = config.getOptionalNumber(key) ?? fallback;
  if (!Number.isFinite(value) || value < min) throw new Error(`${where}.${key}: must be a number of at least ${min}`);
  return value;
}

/**
 * Reads `backpack.admission.external`: the admission plugins, each asked
 * about every version after the built-in checks. Mistakes fail the
 * backend's start with the entry's key named.
 */
export function readExternalAdmissionSettings(root: Config): ExternalAdmissionSettings[] {
  const entries = root.getOptionalConfigArray('backpack.admission.external') ?? [];
  const names = new Set<string>();
  return entries.map((entry, index) => {
    const where = `backpack.admission.external[${index}]`;
    const name = entry.getString('name');
    if (!NAME.test(name)) throw new Error(`${where}.name: '${name}' must be lowercase letters, digits and '-', at most 40`);
    if (names.has(name)) throw new Error(`${where}.name: '${name}' is listed twice`);
    names.add(name);
    const command = entry.getStringArray('command');
    if (command.length === 0 || !command[0]) throw new Error(`${where}.command: must name an executable`);
    const envConfig = entry.getOptionalConfig('env');
    const env: Record<string, string> = {};
    for (const key of envConfig?.keys() ?? []) env[key] = envConfig!.getString(key);
    return {
      name,
      command,
      env,
      timeoutMs: atLeast(entry, 'timeoutMs', 30_000, 1, where),
      idleSeconds: atLeast(entry, 'idleSeconds', 300, 0, where),
      graceMs: atLeast(entry, 'graceMs', 5_000, 0, where),
      startTimeoutMs: atLeast(entry, 'startTimeoutMs', 10_000, 1, where),
      maxConcurrentRequests: atLeast(entry, 'maxConcurrentRequests', 8, 1, where),
    };
  });
}
