/** File names Backpack gives Composer dists. */

/**
 * `<vendor>-<name>-<version>.zip`: one path segment, whatever the version
 * (a branch such as `dev-feature/x` has its unsafe characters replaced).
 */
export function composerDistFileName(id: string, version: string): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9._+-]/g, '-');
  return `${safe(id.replace('/', '-'))}-${safe(version)}.zip`;
}
