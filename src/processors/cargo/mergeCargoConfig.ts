import { JsonObject } from '@backstage/types';
import { union } from '../configLists';

/**
 * Combines the configs two dependents pass to one crate into one that
 * serves both, as Cargo unifies features: the union of the features they
 * ask for, the default features unless both turn them off, every target
 * where one leaves targets out, and the yanked pins of both. Another
 * index than `a`'s is not taken over.
 */
export function mergeCargoConfig(a: JsonObject, b: JsonObject): JsonObject {
  const merged: JsonObject = { ...b, ...a };
  if (a.features !== undefined && b.features !== undefined) {
    merged.features = union(a.features, b.features);
  }
  if (a.yanked !== undefined && b.yanked !== undefined) merged.yanked = union(a.yanked, b.yanked);
  // Absent means on; off only when both turn them off.
  if (a.defaultFeatures === false && b.defaultFeatures === false) merged.defaultFeatures = false;
  else delete merged.defaultFeatures;
  if (a.targets === undefined || b.targets === undefined) delete merged.targets;
  else merged.targets = union(a.targets, b.targets);
  if (a.includeDev === true || b.includeDev === true) merged.includeDev = true;
  return merged;
}
