import { JsonValue } from '@backstage/types';

// The list arithmetic of the processors' `mergeConfig`s: two parents'
// configs for one artifact become one that serves both by uniting lists.

/** The strings of a config value that should be a list of them; none otherwise. */
const strings = (value: JsonValue | undefined): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/**
 * `a`'s list with what `b` adds, sorted; `a`'s strings in their own order
 * when `b` adds nothing, so that merging a config with itself changes
 * nothing.
 */
export function union(a: JsonValue | undefined, b: JsonValue | undefined): string[] {
  const first = strings(a);
  const added = strings(b).filter(v => !first.includes(v));
  return added.length ? [...first, ...added].sort() : first;
}
