import semver from 'semver';
import { BoundedCache } from '../../views/BoundedCache';
import { VersionScheme } from '../types';

// Cargo's versions are strict SemVer 2.0: no leading `v` or `=`, no loose forms.
const VERSION =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

// One comparator of a Cargo version requirement: an optional operator, then
// a version that may be partial (`1`, `1.2`) or have wildcards (`1.*`);
// a pre-release or build only on a full version.
const PART = '(?:\\*|[xX]|0|[1-9]\\d*)';
const COMPARATOR = new RegExp(
  `^(=|>=|>|<=|<|~|\\^)?\\s*(${PART}(?:\\.${PART}(?:\\.${PART}(?:-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?)?)?)$`,
);

/** Longest requirement parsed; index lines never carry longer ones. */
const MAX_REQUIREMENT_LENGTH = 1024;

/**
 * A Cargo version requirement as an equivalent node-semver range, or
 * undefined when it is not one. Cargo differs from npm in spelling, not in
 * meaning, where the `semver` package is reused: a bare version is a caret
 * requirement (`1.2` means `^1.2`), comparators are separated by commas,
 * and there is no `||` or hyphen range. Pre-releases match only a
 * comparator of the same major.minor.patch that names a pre-release, in
 * both.
 */
export function cargoRequirementToRange(requirement: string): string | undefined {
  if (requirement.length > MAX_REQUIREMENT_LENGTH) return undefined;
  const parts = requirement.split(',').map(part => part.trim());
  const translated: string[] = [];
  for (const part of parts) {
    const match = COMPARATOR.exec(part);
    if (!match) return undefined;
    const [, op, version] = match;
    const wildcard = /(^|\.)[*xX]/.test(version);
    // A wildcard takes no operator but `=` (`=1.*` is `1.*`).
    if (wildcard && op && op !== '=') return undefined;
    if (op) translated.push(`${op}${version}`);
    else translated.push(wildcard ? version : `^${version}`);
  }
  return translated.join(' ');
}

/** A parser remembering its answers (null for unparsable input) in a bounded cache. */
function cachedParser<T>(limit: number, parse: (input: string) => T | null): (input: string) => T | null {
  const cache = new BoundedCache<string, T | null>(limit);
  return input => {
    let value = cache.get(input);
    if (value === undefined) {
      try {
        value = parse(input);
      } catch {
        value = null;
      }
      cache.set(input, value);
    }
    return value;
  };
}

// Parsing dominates a closure walk, as for npm, so answers are kept.
const parseVersion = cachedParser(100_000, v => (VERSION.test(v) ? new semver.SemVer(v) : null));
const parseRange = cachedParser(20_000, r => {
  const range = cargoRequirementToRange(r);
  return range === undefined ? null : new semver.Range(range, { includePrerelease: false });
});

/**
 * The exact version an `=x.y.z` requirement pins, or undefined: Cargo
 * takes a yanked version only when pinned so (and in an existing lock file).
 */
export function pinnedCargoVersion(requirement: string): string | undefined {
  const match = /^=\s*(\S+)$/.exec(requirement.trim());
  return match && VERSION.test(match[1]) ? match[1] : undefined;
}

/**
 * Version ordering and requirement language of Cargo: SemVer 2.0 with
 * Cargo's requirement syntax (see {@link cargoRequirementToRange}).
 *
 * @public
 */
export const cargoVersionScheme: VersionScheme = {
  name: 'cargo-semver',

  isValidVersion: version => parseVersion(version) !== null,

  compare(a: string, b: string): number {
    const va = parseVersion(a);
    const vb = parseVersion(b);
    if (!va || !vb) {
      if (va || vb) return va ? 1 : -1;
      if (a === b) return 0;
      return a < b ? -1 : 1;
    }
    return va.compare(vb) || va.compareBuild(vb);
  },

  isValidRange: range => parseRange(range) !== null,

  satisfies(version: string, range: string): boolean {
    const v = parseVersion(version);
    const r = parseRange(range);
    return v !== null && r !== null && r.test(v);
  },
};
