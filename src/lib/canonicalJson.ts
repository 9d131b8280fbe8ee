/**
 * One spelling of a JSON value, so that values equal as JSON compare and
 * hash equal whatever the order of their keys: the export manifest's seal
 * is computed over it, and configs are compared with it.
 */

/**
 * Canonical JSON: keys sorted by code point at every level, no whitespace,
 * values as JSON.stringify writes them; `undefined` members are left out.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(v => canonicalJson(v ?? null)).join(',')}]`;
  if (value && typeof value === 'object') {
    const members = Object.keys(value)
      .sort()
      .filter(key => (value as Record<string, unknown>)[key] !== undefined)
      .map(key => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Whether two values are the same JSON, whatever the order of their keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  return a === b || canonicalJson(a) === canonicalJson(b);
}
