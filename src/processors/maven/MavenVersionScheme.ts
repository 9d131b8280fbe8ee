import { VersionScheme } from '../types';
import { compareMavenVersions } from './ComparableVersion';

/** One bracketed set of a Maven range, e.g. `[1.0,2.0)`. */
export interface MavenRestriction {
  lower?: string;
  lowerInclusive: boolean;
  upper?: string;
  upperInclusive: boolean;
}

/**
 * A Maven version requirement: either a soft requirement (`1.0`, "prefer
 * 1.0") or one or more sets (`[1.0,2.0)`, `(,1.0],[1.2,)`, `[1.2]`).
 */
export type MavenVersionRange =
  | { type: 'soft'; version: string }
  | { type: 'sets'; restrictions: MavenRestriction[] };

/**
 * Characters of a version Backpack accepts; excluding range syntax and
 * regex metacharacters keeps ranges and regex filters apart.
 */
const VERSION = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

export function isValidMavenVersion(version: string): boolean {
  return VERSION.test(version);
}

function parseRestriction(text: string): MavenRestriction | undefined {
  const lowerInclusive = text.startsWith('[');
  const upperInclusive = text.endsWith(']');
  const inner = text.slice(1, -1).trim();
  const comma = inner.indexOf(',');
  if (comma < 0) {
    // A single version must be `[1.0]`; `(1.0)` and `[1.0)` mean nothing.
    if (!lowerInclusive || !upperInclusive || !isValidMavenVersion(inner)) return undefined;
    return { lower: inner, lowerInclusive, upper: inner, upperInclusive };
  }
  const lower = inner.slice(0, comma).trim();
  const upper = inner.slice(comma + 1).trim();
  if (lower === upper) return undefined; // also `(,)`
  if (lower && !isValidMavenVersion(lower)) return undefined;
  if (upper && !isValidMavenVersion(upper)) return undefined;
  if (lower && upper && compareMavenVersions(upper, lower) < 0) return undefined;
  return {
    ...(lower ? { lower } : {}),
    lowerInclusive: lower ? lowerInclusive : false,
    ...(upper ? { upper } : {}),
    upperInclusive: upper ? upperInclusive : false,
  };
}

/**
 * Parses a Maven version requirement as Maven's `VersionRange` does, except
 * that overlapping sets are accepted (they only widen the union). Returns
 * undefined when the text is not one.
 */
export function parseMavenRange(range: string): MavenVersionRange | undefined {
  let rest = range.trim();
  const restrictions: MavenRestriction[] = [];
  while (rest.startsWith('[') || rest.startsWith('(')) {
    const closing = rest.search(/[\])]/);
    if (closing < 0) return undefined;
    const restriction = parseRestriction(rest.slice(0, closing + 1));
    if (!restriction) return undefined;
    restrictions.push(restriction);
    rest = rest.slice(closing + 1).trim();
    if (rest.startsWith(',')) rest = rest.slice(1).trim();
  }
  if (restrictions.length) {
    // Only sets may follow sets.
    return rest ? undefined : { type: 'sets', restrictions };
  }
  return isValidMavenVersion(rest) ? { type: 'soft', version: rest } : undefined;
}

function restrictionContains(restriction: MavenRestriction, version: string): boolean {
  if (restriction.lower !== undefined) {
    const c = compareMavenVersions(version, restriction.lower);
    if (c < 0 || (c === 0 && !restriction.lowerInclusive)) return false;
  }
  if (restriction.upper !== undefined) {
    const c = compareMavenVersions(version, restriction.upper);
    if (c > 0 || (c === 0 && !restriction.upperInclusive)) return false;
  }
  return true;
}

/** Writes a requirement as a set list, turning a soft `1.0` into `[1.0]`. */
export function toHardMavenRange(range: string): string {
  const parsed = parseMavenRange(range);
  return parsed?.type === 'soft' ? `[${parsed.version}]` : range.trim();
}

/**
 * Maven versions ordered like Maven's `ComparableVersion`, with Maven's
 * range language. A soft requirement (`1.0`) is satisfied by that version
 * only, so the highest version satisfying it is the one asked for — what
 * Maven resolves when nothing else in the tree asks otherwise. An empty
 * range matches every version.
 */
export const mavenVersionScheme: VersionScheme = {
  name: 'maven',

  isValidVersion: isValidMavenVersion,

  compare(a: string, b: string): number {
    const validA = isValidMavenVersion(a);
    const validB = isValidMavenVersion(b);
    if (validA && validB) return Math.sign(compareMavenVersions(a, b));
    if (validA !== validB) return validA ? 1 : -1;
    if (a === b) return 0;
    return a < b ? -1 : 1;
  },

  isValidRange(range: string): boolean {
    return range.trim() === '' || parseMavenRange(range) !== undefined;
  },

  satisfies(version: string, range: string): boolean {
    if (!isValidMavenVersion(version)) return false;
    if (range.trim() === '') return true;
    const parsed = parseMavenRange(range);
    if (!parsed) return false;
    if (parsed.type === 'soft') return compareMavenVersions(version, parsed.version) === 0;
    return parsed.restrictions.some(restriction => restrictionContains(restriction, version));
  },
};
