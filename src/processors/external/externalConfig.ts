import { Config } from '@backstage/config';
import { versionSchemeNamed } from './versionSchemes';

/** Processor names as they appear in URLs, storage keys and bundles. */
const NAME = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * One entry of `backpack.processors.external`.
 *
 * @public
 */
export interface ExternalProcessorSettings {
  name: string;
  description?: string;
  /** Executable and arguments; no shell. */
  command: string[];
  /** The plugin's environment besides PATH, locale and temp dirs. */
  env: Record<string, string>;
  timeoutMs: number;
  /** 0 keeps the plugin running. */
  idleSeconds: number;
  graceMs: number;
  startTimeoutMs: number;
  maxMessageBytes: number;
  maxConcurrentRequests: number;
  /** Hosts its files (and the metadata it fetches through Backpack) come from. */
  allowedHosts: string[];
  /** Set ahead of the handshake, which must then agree. */
  versionScheme?: string;
}

function positive(config: Config, key: string, fallback: number, min = 1): number {
  const value = config.getOptionalNumber(key) ?? fallback;
  if (!Number.isFinite(value) || value < min) {
    throw new Error(`${key}: must be a number of at least ${min}`);
  }
  return value;
}

/**
 * Reads `backpack.processors.external`: a list of plugins, each becoming a
 * processor of its own. Mistakes fail the backend's start with the entry's
 * key named.
 */
export function readExternalProcessorSettings(root: Config): ExternalProcessorSettings[] {
  const entries = root.getOptionalConfigArray('backpack.processors.external') ?? [];
  const names = new Set<string>();
  return entries.map((entry, index) => {
    const where = `backpack.processors.external[${index}]`;
    const name = entry.getString('name');
    if (!NAME.test(name)) {
      throw new Error(`${where}.name: '${name}' must be lowercase letters, digits and '-', at most 40`);
    }
    if (names.has(name)) throw new Error(`${where}.name: '${name}' is listed twice`);
    names.add(name);
    const command = entry.getStringArray('command');
    if (command.length === 0 || !command[0]) {
      throw new Error(`${where}.command: must name an executable`);
    }
    const envConfig = entry.getOptionalConfig('env');
    const env: Record<string, string> = {};
    for (const key of envConfig?.keys() ?? []) env[key] = envConfig!.getString(key);
    const versionScheme = entry.getOptionalString('versionScheme');
    if (versionScheme !== undefined) versionSchemeNamed(versionScheme, `${where}.versionScheme`);
    return {
      name,
      description: entry.getOptionalString('description'),
      command,
      env,
      timeoutMs: positive(entry, 'timeoutMs', 60_000),
      idleSeconds: positive(entry, 'idleSeconds', 300, 0),
      graceMs: positive(entry, 'graceMs', 5_000, 0),
      startTimeoutMs: positive(entry, 'startTimeoutMs', 10_000),
      maxMessageBytes: positive(entry, 'maxMessageBytes', 16 * 1024 * 1024, 1024),
      maxConcurrentRequests: positive(entry, 'maxConcurrentRequests', 8),
      allowedHosts: entry.getOptionalStringArray('allowedHosts') ?? [],
      versionScheme,
    };
  });
}
