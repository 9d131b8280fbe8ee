import semver from 'semver';
import { VersionScheme } from '../types';

// npm (npm-pick-manifest, npm-package-arg) parses loosely, so `=1.2.3`,
// `v1.2.3` and `>= 1.0.0` in old packuments mean what npm thinks they mean.
// Prereleases stay out of ranges unless the range names one, as in npm.
const OPTIONS: semver.RangeOptions = { loose: true, includePrerelease: false };

/**
 * Version ordering and range language of npm: semver 2.0 as implemented by
 * the `semver` package, with npm's loose parsing.
 *
 * @public
 */
export const semverScheme: VersionScheme = {
  name: 'semver',

  isValidVersion(version: string): boolean {
    return semver.valid(version, OPTIONS) !== null;
  },

  compare(a: string, b: string): number {
    const validA = semver.valid(a, OPTIONS) !== null;
    const validB = semver.valid(b, OPTIONS) !== null;
    if (!validA || !validB) {
      if (validA !== validB) return validA ? 1 : -1;
      // Two invalid versions still need a stable, total order.
      if (a === b) return 0;
      return a < b ? -1 : 1;
    }
    const order = semver.compare(a, b, OPTIONS);
    // Versions equal in precedence (build metadata) keep a total order.
    return order !== 0 ? order : semver.compareBuild(a, b, OPTIONS);
  },

  isValidRange(range: string): boolean {
    return semver.validRange(range, OPTIONS) !== null;
  },

  satisfies(version: string, range: string): boolean {
    try {
      return semver.satisfies(version, range, OPTIONS);
    } catch {
      return false;
    }
  },
};
