import { parse } from 'yaml';

/** Aliases (`*ref`) expanded per document: charts have none worth more, and a billion laughs has many. */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses YAML from an upstream (index.yaml, Chart.yaml, values.yaml) the
 * safe way: the failsafe schema (every scalar a string, so `1.10` stays the
 * version it was written as, and no custom tags), alias expansion bounded,
 * one document. Throws with `what` named on anything else.
 */
export function parseUpstreamYaml(text: string, what: string): unknown {
  try {
    return parse(text, { schema: 'failsafe', maxAliasCount: MAX_ALIAS_COUNT, uniqueKeys: false });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Error(`${what}: not readable YAML: ${message}`);
  }
}

/** A plain object (a YAML mapping), or undefined. */
export function asMap(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A string, or undefined. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A list, or an empty one. */
export function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
