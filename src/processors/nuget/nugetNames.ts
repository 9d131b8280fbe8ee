/** NuGet package ids and the file names the v3 protocol derives from them. */

/** NuGet's id rule: letters, digits, `.`, `_` and `-`, at most 100 characters. */
const NUGET_ID = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,98}[A-Za-z0-9_])?$/;

/**
 * The canonical form of a package id: ids are case-insensitive and the v3
 * protocol's URLs use the lower-case form. Undefined when it is no id.
 */
export function normalizeNugetId(id: string): string | undefined {
  return NUGET_ID.test(id) && !id.includes('..') ? id.toLowerCase() : undefined;
}

/** `<id>.<version>.nupkg`, lower-case, as the flat container names it. */
export function nugetPackageFileName(id: string, version: string): string {
  return `${id.toLowerCase()}.${version.toLowerCase()}.nupkg`;
}
