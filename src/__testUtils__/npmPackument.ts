/**
 * The JSON body of an npm packument as a registry serves it: each version's
 * manifest is its `name` and `version` plus the given fields (`dist`,
 * `dependencies`, …); `latest` is the last version given unless `distTags`
 * say otherwise.
 */
export function npmPackument(
  name: string,
  versions: Record<string, Record<string, unknown>>,
  distTags?: Record<string, string>,
): string {
  const latest = Object.keys(versions).at(-1);
  return JSON.stringify({
    name,
    'dist-tags': distTags ?? (latest ? { latest } : {}),
    versions: Object.fromEntries(
      Object.entries(versions).map(([version, fields]) => [version, { name, version, ...fields }]),
    ),
  });
}
