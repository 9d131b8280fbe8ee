import { JsonObject, JsonValue } from '@backstage/types';

const strings = (value: JsonValue | undefined): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/**
 * Combines the configs two parents pass to one Maven artifact into one that
 * serves both: the union of the classified jars they need (one parent's
 * `linux-x86_64`, another's `linux-aarch_64`). Another repository than `a`'s
 * is not taken over.
 */
export function mergeMavenConfig(a: JsonObject, b: JsonObject): JsonObject {
  const merged: JsonObject = { ...b, ...a };
  if (a.classifiers !== undefined && b.classifiers !== undefined) {
    const first = strings(a.classifiers);
    const added = strings(b.classifiers).filter(c => !first.includes(c));
    // `a` unchanged, order and all, when `b` adds nothing.
    if (added.length) merged.classifiers = [...first, ...added].sort();
  }
  return merged;
}
