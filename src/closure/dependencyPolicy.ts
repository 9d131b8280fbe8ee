/**
 * The dependency policies: which versions of a dependency a declared range
 * selects (`latest`, `all-satisfying`, `all`), and what a range that is no
 * range (a tag such as npm's `latest`) names. Policy `none` selects
 * nothing and never reaches here: the walk does not even discover.
 */
import { VersionScheme } from '../processors/types';
import { DependencyPolicy } from '../types';

/** The versions a range selected, or why none could be. */
export type RangeResolution = { resolved: string[] } | { unresolvable: string };

/** What is known of the dependency a range points at. */
export interface RangeTarget {
  /** The dependency's id, for messages. */
  id: string;
  scheme: VersionScheme;
  /** Every published version, lowest first. */
  ascending: string[];
  /** Whether a version is published. */
  published: ReadonlySet<string> | ReadonlyMap<string, unknown>;
  /** The upstream's tags (name → version). */
  tags?: Record<string, string>;
  /**
   * Whether versions the listing lacks can be described on demand, so that
   * a range that pins one version (`VersionScheme.pinnedVersion`) resolves
   * to it whether listed or not.
   */
  pinnable?: boolean;
}

/** Resolves a dependency's range under its parent's policy. */
export function resolveRange(
  target: RangeTarget,
  range: string,
  policy: DependencyPolicy,
): RangeResolution {
  const { scheme, ascending } = target;
  if (policy === 'all') {
    return { resolved: ascending };
  }
  const pinned = target.pinnable ? scheme.pinnedVersion?.(range) : undefined;
  if (pinned !== undefined) return { resolved: [pinned] };
  if (scheme.isValidRange(range)) {
    const satisfying =
      policy === 'latest'
        ? [ascending.findLast(v => scheme.satisfies(v, range))].filter(
            (v): v is string => v !== undefined,
          )
        : ascending.filter(v => scheme.satisfies(v, range));
    return satisfying.length
      ? { resolved: satisfying }
      : { unresolvable: `no version of '${target.id}' satisfies '${range}'` };
  }
  // Not a range: a tag such as npm's `latest` or `next` names one version.
  const tagged = target.tags?.[range];
  if (tagged === undefined) {
    return {
      unresolvable: `'${range}' is neither a ${scheme.name} range nor a tag of '${target.id}'`,
    };
  }
  if (!target.published.has(tagged)) {
    return {
      unresolvable: `tag '${range}' of '${target.id}' names ${tagged}, which is not published`,
    };
  }
  return { resolved: [tagged] };
}
