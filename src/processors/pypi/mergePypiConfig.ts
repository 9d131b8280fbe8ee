import { JsonObject } from '@backstage/types';
import { union } from '../configLists';

/** Keys whose absence means "every target", so absence is the widest value. */
const TARGET_KEYS = ['pythonVersions', 'platforms'];
/** Keys whose absence means "none". */
const UNION_KEYS = ['extras'];
/** Flags that mirror more files when true. */
const FLAG_KEYS = ['includeSdist', 'includeYanked'];

/**
 * Combines the configs two parents pass to one PyPI project into one that
 * serves both: the union of the extras they ask for (`requests` and
 * `requests[socks]` need PySocks), of their Python versions and platforms
 * (where one leaves them out, every target is meant, which stays), and the
 * files either includes. Another index than `a`'s is not taken over.
 */
export function mergePypiConfig(a: JsonObject, b: JsonObject): JsonObject {
  const merged: JsonObject = { ...b, ...a };
  for (const key of TARGET_KEYS) {
    if (a[key] === undefined || b[key] === undefined) delete merged[key];
    else merged[key] = union(a[key], b[key]);
  }
  for (const key of UNION_KEYS) {
    // Where only one names them, the spread above took its list.
    if (a[key] !== undefined && b[key] !== undefined) merged[key] = union(a[key], b[key]);
  }
  for (const key of FLAG_KEYS) {
    // One includes the files, or leaves it to the default: include them.
    if (a[key] !== b[key]) merged[key] = true;
  }
  return merged;
}
