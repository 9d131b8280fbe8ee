/**
 * Go's module versions: canonical semantic versions with a `v`
 * (`v1.2.3`, `v1.2.3-rc.1`), pseudo-versions (prereleases that name a
 * commit, `v0.0.0-20240101120000-abcdef123456`) and `+incompatible`, the
 * one build suffix a module version may carry. Numbers may exceed any
 * integer type, so they are compared as digit strings.
 */

const VERSION =
  /^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(\+incompatible)?$/;
const PSEUDO = /^(.*[-.])?0\.\d{14}-[0-9A-Za-z]+$|^\d{14}-[0-9A-Za-z]+$/;
/** Longest version accepted; real ones are under 80 characters. */
const MAX_VERSION = 200;

/** A parsed canonical Go module version. */
export interface GoVersion {
  major: number;
  /** Digit strings, compared by length then lexically. */
  numbers: [string, string, string];
  /** Dot-separated prerelease identifiers; empty for releases. */
  prerelease: string[];
  incompatible: boolean;
}

/** A canonical Go module version, or undefined. */
export function parseGoVersion(version: string): GoVersion | undefined {
  if (version.length > MAX_VERSION) return undefined;
  const match = VERSION.exec(version);
  if (!match) return undefined;
  const prerelease = match[4] ? match[4].split('.') : [];
  // Numeric identifiers have no leading zeros (semver 2.0.0).
  if (prerelease.some(id => /^0[0-9]+$/.test(id))) return undefined;
  return {
    major: match[1].length > 6 ? Number.MAX_SAFE_INTEGER : Number(match[1]),
    numbers: [match[1], match[2], match[3]],
    prerelease,
    incompatible: Boolean(match[5]),
  };
}

/** Code-unit order of two strings, as Go's `<` on strings. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function compareDigits(a: string, b: string): number {
  return a.length - b.length || compareStrings(a, b);
}

function compareIdentifiers(a: string, b: string): number {
  const aNumeric = /^[0-9]+$/.test(a);
  const bNumeric = /^[0-9]+$/.test(b);
  if (aNumeric && bNumeric) return compareDigits(a, b);
  if (aNumeric) return -1;
  if (bNumeric) return 1;
  return compareStrings(a, b);
}

/** Semver precedence of two parsed versions; `+incompatible` does not take part, as in Go. */
export function compareParsed(a: GoVersion, b: GoVersion): number {
  for (let i = 0; i < 3; i++) {
    const order = compareDigits(a.numbers[i], b.numbers[i]);
    if (order) return Math.sign(order);
  }
  if (!a.prerelease.length || !b.prerelease.length) {
    return Math.sign(b.prerelease.length - a.prerelease.length);
  }
  for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i++) {
    const order = compareIdentifiers(a.prerelease[i], b.prerelease[i]);
    if (order) return Math.sign(order);
  }
  return Math.sign(a.prerelease.length - b.prerelease.length);
}

/** Semver precedence of two canonical versions; invalid ones sort first. */
export function compareGoVersions(a: string, b: string): number {
  const pa = parseGoVersion(a);
  const pb = parseGoVersion(b);
  if (pa && pb) return compareParsed(pa, pb);
  if (pa) return 1;
  return pb ? -1 : compareStrings(a, b);
}

/** Whether a canonical version is a pseudo-version (names a commit, not a tag). */
export function isPseudoVersion(version: string): boolean {
  const parsed = parseGoVersion(version);
  return Boolean(parsed && parsed.prerelease.length && PSEUDO.test(parsed.prerelease.join('.')));
}

/** The larger of two canonical versions. */
export function maxGoVersion(a: string, b: string): string {
  return compareGoVersions(a, b) >= 0 ? a : b;
}

/**
 * Whether a `go` directive's language version is at least `major.minor`
 * (`1.17`, `1.21.0`, `1.22rc1`); a missing directive means go 1.16 for
 * dependencies (the go command's rule).
 */
export function goAtLeast(goVersion: string | undefined, major: number, minor: number): boolean {
  const match = /^(\d+)\.(\d+)/.exec(goVersion ?? '1.16');
  if (!match) return false;
  const [have, haveMinor] = [Number(match[1]), Number(match[2])];
  return have > major || (have === major && haveMinor >= minor);
}
