import { semverScheme } from '../npm/semverScheme';
import { VersionScheme } from '../types';

/**
 * Helm's constraint syntax (Masterminds semver) in the `semver` package's:
 * `,` joins constraints with AND (`>= 1.2, < 2`), which npm's ranges write
 * with a space; `||`, `^`, `~`, `x` and hyphen ranges read the same.
 */
function toSemverRange(range: string): string {
  return range.replace(/\s*,\s*/g, ' ').trim();
}

/**
 * Chart versions: semver 2 as Helm orders it, and Helm's constraint
 * language for dependency ranges and filters (`^1.2.0`, `~1.2`,
 * `>= 1.2, < 2`, `1.2.x`). Prereleases stay out of ranges unless the
 * range names one, as in Helm.
 *
 * @public
 */
export const helmVersionScheme: VersionScheme = {
  name: 'semver',
  isValidVersion: version => semverScheme.isValidVersion(version),
  compare: (a, b) => semverScheme.compare(a, b),
  isValidRange: range => range.trim() !== '' && semverScheme.isValidRange(toSemverRange(range)),
  satisfies: (version, range) => semverScheme.satisfies(version, toSemverRange(range)),
};
