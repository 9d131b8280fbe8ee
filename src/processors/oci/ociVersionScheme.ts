import semver from 'semver';
import { VersionScheme } from '../types';
import { DIGEST, TAG } from './ociNames';

/**
 * Tags that read as versions: `1`, `1.25`, `v1.25.3`, `1.25.3-alpine`.
 * Missing parts count as 0 (`1.25` orders as `1.25.0`); a suffix after `-`
 * is a prerelease, so ranges leave such tags out unless they name one.
 */
const SEMVER_LIKE = /^v?(\d{1,9})(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?(?:-([0-9A-Za-z.-]+))?$/;

/** The semver a semver-like tag stands for, or undefined. */
function asSemver(tag: string): semver.SemVer | undefined {
  const match = SEMVER_LIKE.exec(tag);
  if (!match) return undefined;
  const [, major, minor = '0', patch = '0', pre] = match;
  const parsed = semver.parse(`${Number(major)}.${Number(minor)}.${Number(patch)}${pre ? `-${pre}` : ''}`);
  return parsed ?? undefined;
}

function lexical(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** A semver range that is not also a tag (a tag names itself). */
function semverRange(range: string): semver.Range | undefined {
  if (TAG.test(range)) return undefined;
  try {
    return new semver.Range(range);
  } catch {
    return undefined;
  }
}

/**
 * Versions of OCI artifacts are tags (and pinned digests). Order:
 * semver-like tags by semver, after every other tag, which sort lexically;
 * digests first of all. The range language:
 *
 * - a digest (`sha256:<hex>`) pins that image, listed under a tag or not;
 * - a tag selects exactly that tag (`latest`, `1.25`, `1.25.3-alpine`);
 * - anything else that is a semver range (`^1.25.0`, `>=1.2 <2`, `*`)
 *   selects the semver-like tags it contains.
 *
 * A regular expression filter (`filterType: regex`) matches tag names.
 *
 * @public
 */
export const ociVersionScheme: VersionScheme = {
  name: 'oci-tag',

  isValidVersion(version: string): boolean {
    return TAG.test(version) || DIGEST.test(version);
  },

  compare(a: string, b: string): number {
    const rank = (v: string) => {
      if (DIGEST.test(v)) return 0;
      return asSemver(v) ? 2 : 1;
    };
    const byRank = rank(a) - rank(b);
    if (byRank !== 0) return byRank;
    const va = asSemver(a);
    const vb = asSemver(b);
    if (va && vb) return va.compare(vb) || lexical(a, b);
    return lexical(a, b);
  },

  isValidRange(range: string): boolean {
    return DIGEST.test(range) || TAG.test(range) || semverRange(range) !== undefined;
  },

  satisfies(version: string, range: string): boolean {
    if (DIGEST.test(range) || TAG.test(range)) return version === range;
    const parsed = semverRange(range);
    const tag = asSemver(version);
    return parsed !== undefined && tag !== undefined && parsed.test(tag);
  },

  pinnedVersion(range: string): string | undefined {
    return DIGEST.test(range) ? range : undefined;
  },
};
