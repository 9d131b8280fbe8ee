/**
 * Variables a subprocess needs to find its interpreter and read text, and
 * nothing else: the backend's own environment (database, queue and storage
 * credentials, tokens) never reaches a plugin.
 */
const INHERITED = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'SYSTEMROOT', 'TMPDIR', 'TEMP', 'TMP'];

/**
 * The environment of a plugin process: the few inherited variables above,
 * then what the operator configured for it (which wins).
 */
export function pluginEnvironment(
  configured: Record<string, string> = {},
  parent: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED) {
    const value = parent[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...configured };
}
