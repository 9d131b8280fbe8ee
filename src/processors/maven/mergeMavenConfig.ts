import { JsonObject } from '@backstage/types';
import { union } from '../configLists';

/**
 * Combines the configs two parents pass to one Maven artifact into one that
 * serves both: the union of the classified jars they need (one parent's
 * `linux-x86_64`, another's `linux-aarch_64`). Another repository than `a`'s
 * is not taken over.
 */
export function mergeMavenConfig(a: JsonObject, b: JsonObject): JsonObject {
  const merged: JsonObject = { ...b, ...a };
  if (a.classifiers !== undefined && b.classifiers !== undefined) {
    // `a`'s classifiers, order and all, when `b` adds nothing.
    merged.classifiers = union(a.classifiers, b.classifiers);
  }
  return merged;
}
