/**
 * PEP 503 normal form of a project name: lower-case, with every run of `-`,
 * `_` and `.` collapsed to a single `-`. Indexes and installers treat names
 * that normalise alike as the same project, so Backpack keys artifacts by it.
 */
export function normalizePypiName(name: string): string {
  return name.trim().replace(/[-_.]+/g, '-').toLowerCase();
}

/** Whether a string is a valid project name (PEP 508 `identifier`). */
export function isValidPypiName(name: string): boolean {
  return /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name.trim());
}
