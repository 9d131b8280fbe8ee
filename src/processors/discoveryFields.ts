/**
 * Field checks shared by the checks of what processors return
 * (discoveryOutput.ts, discoveryFileCheck.ts): bounds, and how a hostile
 * value is quoted in a warning.
 */
import { CONTROL_CHARACTERS, textProblem } from '../lib/validation';

/** Longest download URI accepted; longer ones are no registry's. */
export const MAX_URI = 4096;
/** Longest tag name or value, validator, publication date. */
export const MAX_SHORT = 256;
/** Longest reason a processor may give for an unresolvable dependency. */
export const MAX_REASON = 1024;
/** Nesting of a dependency's config. */
export const MAX_CONFIG_DEPTH = 16;

/** A hostile string as a warning may quote it: short, control characters replaced. */
export function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  const clean = text.replace(new RegExp(CONTROL_CHARACTERS.source, 'g'), '?');
  return clean.length > 80 ? `${clean.slice(0, 80)}… (${clean.length} characters)` : clean;
}

/** What is wrong with a required string, or undefined. */
export function stringProblem(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return 'is not a string';
  if (!value) return 'is empty';
  return textProblem(value, max);
}

/** How deeply a value nests, counted up to just past the bound. */
export function depth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, level] = stack.pop()!;
    if (!item || typeof item !== 'object') continue;
    deepest = Math.max(deepest, level + 1);
    if (deepest > MAX_CONFIG_DEPTH) return deepest;
    for (const child of Object.values(item)) stack.push([child, level + 1]);
  }
  return deepest;
}

/**
 * A publication date both databases store: ISO 8601 as given, anything else
 * JavaScript can read rewritten as ISO 8601, years 1 to 9999 only.
 */
export function dateOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_SHORT) return undefined;
  const date = new Date(value);
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 1 || year > 9999) return undefined;
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value)
    ? value
    : date.toISOString();
}
