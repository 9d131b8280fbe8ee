import semver from 'semver';
import { VersionScheme } from '../types';

/** Leading `v` allowed, as most release tags have it; build metadata kept for a total order. */
const SEMVER_TAG = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/;

/** The semver version a tag names (`v1.2.3` → `1.2.3`), or undefined. */
export function semverOfTag(tag: string): semver.SemVer | undefined {
  const match = SEMVER_TAG.exec(tag);
  if (!match) return undefined;
  try {
    return new semver.SemVer(match[1]);
  } catch {
    return undefined;
  }
}

function byName(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Most tags remembered at once; older ones are dropped wholesale, as caches here do. */
const MAX_REMEMBERED = 100_000;

/**
 * Version ordering of release tags and of versions a person listed:
 * tags that are semver (a leading `v` allowed) sort by semver precedence,
 * after all others; the others sort among themselves by their publish date
 * when the processor told the scheme about it ({@link ReleaseTagScheme.remember}),
 * and by name otherwise or on a tie. Ranges are semver ranges over the
 * semver tags (`>=2.0.0 <3` matches `v2.4.1`); other tags are selected with
 * a regex filter.
 */
export class ReleaseTagScheme implements VersionScheme {
  readonly name = 'semver';
  private readonly publishedAt = new Map<string, number>();

  /**
   * Records when a non-semver tag was published, for ordering. Kept per tag
   * name: ids are not part of a comparison, so a tag name two repositories
   * share takes the date seen last; semver tags never need it.
   */
  remember(tag: string, published: string | undefined): void {
    if (semverOfTag(tag) || !published) return;
    const time = Date.parse(published);
    if (Number.isNaN(time)) return;
    if (this.publishedAt.size >= MAX_REMEMBERED) this.publishedAt.clear();
    this.publishedAt.set(tag, time);
  }

  isValidVersion(version: string): boolean {
    return semverOfTag(version) !== undefined;
  }

  compare(a: string, b: string): number {
    const va = semverOfTag(a);
    const vb = semverOfTag(b);
    if (va && vb) return va.compare(vb) || va.compareBuild(vb) || byName(a, b);
    if (va || vb) return va ? 1 : -1;
    const ta = this.publishedAt.get(a);
    const tb = this.publishedAt.get(b);
    if (ta !== undefined && tb !== undefined && ta !== tb) return ta - tb;
    if ((ta === undefined) !== (tb === undefined)) return ta === undefined ? -1 : 1;
    return byName(a, b);
  }

  isValidRange(range: string): boolean {
    try {
      return semver.validRange(range) !== null;
    } catch {
      return false;
    }
  }

  satisfies(version: string, range: string): boolean {
    const parsed = semverOfTag(version);
    if (!parsed) return false;
    try {
      return semver.satisfies(parsed, range);
    } catch {
      return false;
    }
  }
}
