import semver from 'semver';
import { VersionScheme } from '../types';

// npm (npm-pick-manifest, npm-package-arg) parses loosely, so `=1.2.3`,
// `v1.2.3` and `>= 1.0.0` in old packuments mean what npm thinks they mean.
// Prereleases stay out of ranges unless the range names one, as in npm.
const OPTIONS = { loose: true, includePrerelease: false };

/**
 * Parsing dominates a closure walk (sorting a packument's versions and
 * testing them against ranges parses each string many times), so parsed
 * versions and ranges are kept in bounded caches.
 */
class ParseCache<T> {
  private readonly entries = new Map<string, T | null>();
  constructor(
    private readonly limit: number,
    private readonly parse: (input: string) => T,
  ) {}

  get(input: string): T | null {
    let value = this.entries.get(input);
    if (value === undefined) {
      try {
        value = this.parse(input);
      } catch {
        value = null;
      }
      // Dropping everything at the limit is crude but keeps memory bounded
      // without bookkeeping on every hit.
      if (this.entries.size >= this.limit) this.entries.clear();
      this.entries.set(input, value);
    }
    return value;
  }
}

const versions = new ParseCache(100_000, v => new semver.SemVer(v, OPTIONS));
const ranges = new ParseCache(20_000, r => new semver.Range(r, OPTIONS));

/**
 * Version ordering and range language of npm: semver 2.0 as implemented by
 * the `semver` package, with npm's loose parsing.
 *
 * @public
 */
export const semverScheme: VersionScheme = {
  name: 'semver',

  isValidVersion(version: string): boolean {
    return versions.get(version) !== null;
  },

  compare(a: string, b: string): number {
    const va = versions.get(a);
    const vb = versions.get(b);
    if (!va || !vb) {
      if (va || vb) return va ? 1 : -1;
      // Two invalid versions still need a stable, total order.
      if (a === b) return 0;
      return a < b ? -1 : 1;
    }
    // Versions equal in precedence (build metadata) keep a total order.
    return va.compare(vb) || va.compareBuild(vb);
  },

  isValidRange(range: string): boolean {
    return ranges.get(range) !== null;
  },

  satisfies(version: string, range: string): boolean {
    const v = versions.get(version);
    const r = ranges.get(range);
    return v !== null && r !== null && r.test(v);
  },
};
